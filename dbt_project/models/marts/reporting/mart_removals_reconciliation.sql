{#
  Where both sources cover a jurisdiction-year: ICE's aggregate removal count against the
  warehouse's count of case-level records, side by side, with the difference.
#}
with

interop as (
    select jurisdiction_id, fiscal_year, removals_total
    from {{ ref('mart_jurisdiction_year') }}
),

cases as (
    select jurisdiction_id, fiscal_year, removals_total, removals_all_records
    from {{ ref('mart_case_removals_year') }}
),

final as (
    select
        coalesce(interop.jurisdiction_id, cases.jurisdiction_id) as jurisdiction_id,
        coalesce(interop.fiscal_year, cases.fiscal_year) as fiscal_year,
        interop.removals_total as removals_interop,
        cases.removals_total as removals_cases_four_levels,
        cases.removals_all_records as removals_cases_all_records,
        cases.removals_all_records - interop.removals_total as difference,
        (cases.removals_all_records - interop.removals_total)
        / nullif(interop.removals_total, 0) as relative_difference,
        interop.jurisdiction_id is not null and cases.jurisdiction_id is not null as in_both
    from interop
    full outer join cases
        on interop.jurisdiction_id = cases.jurisdiction_id
        and interop.fiscal_year = cases.fiscal_year
)

select * from final
