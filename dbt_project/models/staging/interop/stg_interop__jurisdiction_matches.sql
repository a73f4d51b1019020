with

source as (
    select * from {{ source('raw', 'jurisdiction_matches') }}
),

final as (
    select
        published_state,
        state,
        published_name,
        jurisdiction_id,
        jurisdiction_name,
        kind,
        match_method,
        quarantine_reason
    from source
)

select * from final
