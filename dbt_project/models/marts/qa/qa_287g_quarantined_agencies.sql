with

agency_years as (
    select * from {{ ref('int_g287_agency_years_resolved') }}
    where jurisdiction_id is null
),

final as (
    select
        published_state,
        published_agency,
        coalesce(quarantine_reason, 'no match row for the agency (name resolution did not run)')
            as quarantine_reason,
        count(*) as agency_years,
        min(fiscal_year) as first_fiscal_year,
        max(fiscal_year) as last_fiscal_year,
        cast(sum(identified) as bigint) as identified,
        cast(sum(removed) as bigint) as removed,
        any_value(source_file) as source_file,
        min(source_line) as first_source_line
    from agency_years
    group by published_state, published_agency, quarantine_reason
)

select * from final
