{#
  Every place (landmark or facility) of the arrest and book-in records, with how it was
  placed: a jail resolved to its county, or state level (office or operation, jail not
  resolved, place not recorded) and why, and how many records it carries.
#}
with

places as (
    select * from {{ source('raw', 'cases_place_matches') }}
),

final as (
    select
        published_state,
        published_place,
        case
            when jurisdiction_id is not null then 'county jail'
            else match_method
        end as place_class,
        jurisdiction_id,
        jurisdiction_name,
        quarantine_reason as reason,
        cast(rows as bigint) as records
    from places
)

select * from final
