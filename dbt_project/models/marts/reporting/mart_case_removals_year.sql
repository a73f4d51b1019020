{#
  Case-level removals per jurisdiction and fiscal year: the four levels with their shares, and
  beside them what the shares leave out — pending charges and unknown severity — so nothing
  counted is hidden.
#}
with

counts as (
    select * from {{ ref('int_case_removals_by_severity') }}
    where jurisdiction_id is not null and fiscal_year is not null
),

jurisdictions as (
    select * from {{ ref('dim_jurisdiction') }}
),

pivoted as (
    select
        jurisdiction_id,
        fiscal_year,
        {%- for level in ['L1', 'L2', 'L3', 'NC', 'PENDING', 'UNKNOWN'] %}
        cast(coalesce(sum(n) filter (where severity_level = '{{ level }}'), 0) as bigint)
            as removals_{{ level | lower }},
        {%- endfor %}
        cast(sum(n) as bigint) as removals_all_records
    from counts
    group by jurisdiction_id, fiscal_year
),

totals as (
    select
        *,
        removals_l1 + removals_l2 + removals_l3 + removals_nc as removals_total
    from pivoted
),

shares as (
    select
        *,
        {%- for level in ['l1', 'l2', 'l3', 'nc'] %}
        removals_{{ level }} / nullif(removals_total, 0) as removal_share_{{ level }},
        {%- endfor %}
        (removals_l3 + removals_nc) / nullif(removals_total, 0) as minor_share_removals
    from totals
),

final as (
    select
        shares.jurisdiction_id,
        shares.fiscal_year,
        jurisdictions.name as jurisdiction_name,
        jurisdictions.state,
        shares.* exclude (jurisdiction_id, fiscal_year)  -- noqa: RF02
    from shares
    left join jurisdictions on shares.jurisdiction_id = jurisdictions.jurisdiction_id
)

select * from final
