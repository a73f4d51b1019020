with

reports as (
    select * from {{ ref('stg_interop__reports') }}
),

matches as (
    select * from {{ ref('stg_interop__jurisdiction_matches') }}
),

joined as (
    select
        matches.jurisdiction_id,
        matches.jurisdiction_name,
        matches.state,
        matches.kind,
        matches.quarantine_reason,
        reports.*,
        {{ fiscal_year('reports.report_through') }} as fiscal_year
    from reports
    left join matches
        on reports.published_state = matches.published_state
        and reports.published_name = matches.published_name
),

final as (
    select * from joined
)

select * from final
