with

source as (
    select * from {{ source('raw', 'g287_agency_matches') }}
),

final as (
    select
        published_state,
        state,
        published_agency,
        jurisdiction_id,
        jurisdiction_name,
        kind,
        match_method,
        quarantine_reason,
        rows as agency_years
    from source
)

select * from final
