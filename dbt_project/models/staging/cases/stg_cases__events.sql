{#
  The case records of the event layouts (arrests, book-ins: every layout but the removals) as
  counted in one pass at load (raw.cases_grouped), renamed. State, place, method and the most
  serious conviction are kept as published; blank and NA convictions become NULL (no
  conviction recorded on the record).
#}
with

source as (
    select * from {{ source('raw', 'cases_grouped') }}
    where event_kind <> 'removal'
),

final as (
    select
        _layout as layout,
        event_kind,
        fiscal_year,
        apprehension_state as published_state,
        place as published_place,
        method,
        nullif(nullif(trim(most_serious_conviction), ''), 'NA') as most_serious_conviction,
        n,
        _source_file as source_file
    from source
)

select * from final
