{#
  Every 287(g) agency-year row with the jurisdiction its agency is placed in (or NULL and the
  quarantine reason). Quarantined rows stay here: they are left out of the marts' sums and
  counted in qa_287g_quarantined_agencies, never dropped.
#}
with

agency_years as (
    select * from {{ ref('stg_g287__agency_years') }}
),

matches as (
    select * from {{ ref('stg_g287__agency_matches') }}
),

final as (
    select
        agency_years.published_state,
        agency_years.published_agency,
        matches.state,
        matches.jurisdiction_id,
        matches.jurisdiction_name,
        matches.kind,
        matches.match_method,
        matches.quarantine_reason,
        agency_years.fiscal_year,
        agency_years.identified,
        agency_years.removed,
        agency_years.attests_active,
        agency_years.source_file,
        agency_years.source_line
    from agency_years
    left join matches
        on agency_years.published_state is not distinct from matches.published_state
        and agency_years.published_agency is not distinct from matches.published_agency
)

select * from final
