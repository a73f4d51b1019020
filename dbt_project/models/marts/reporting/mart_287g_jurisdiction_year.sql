{#
  287(g) by jurisdiction and fiscal year: the agencies placed in a jurisdiction (several city,
  county and regional agencies can share one county; state agencies share the state-level id)
  summed. A sum is NULL when no agency there had a figure in the release: blank is not 0.
#}
with

agency_years as (
    select * from {{ ref('int_g287_agency_years_resolved') }}
    where jurisdiction_id is not null
),

jurisdictions as (
    select * from {{ ref('dim_jurisdiction') }}
),

per_jurisdiction as (
    select
        jurisdiction_id,
        fiscal_year,
        cast(sum(identified) as bigint) as identified,
        cast(sum(removed) as bigint) as removed,
        count(*) as agencies,
        count(*) filter (where identified is not null or removed is not null)
            as agencies_with_figures,
        string_agg(published_agency, ' | ' order by published_agency) as agency_names
    from agency_years
    group by jurisdiction_id, fiscal_year
),

final as (
    select
        per_jurisdiction.jurisdiction_id,
        per_jurisdiction.fiscal_year,
        jurisdictions.name as jurisdiction_name,
        jurisdictions.state,
        jurisdictions.kind,
        per_jurisdiction.identified,
        per_jurisdiction.removed,
        per_jurisdiction.removed / nullif(per_jurisdiction.identified, 0)
            as removed_per_identified,
        per_jurisdiction.agencies,
        per_jurisdiction.agencies_with_figures,
        per_jurisdiction.agency_names
    from per_jurisdiction
    inner join jurisdictions on per_jurisdiction.jurisdiction_id = jurisdictions.jurisdiction_id
)

select * from final
