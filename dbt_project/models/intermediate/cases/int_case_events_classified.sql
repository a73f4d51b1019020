{#
  The arrest and book-in records (counted at load) placed and classed:
  * place: a jail resolved to its county (raw.cases_place_matches: the same normalization as
    the statistics plus seeds/case_place_overrides); every other place stays at state level,
    with its class (office or operation, jail not resolved, place not recorded);
  * severity: the most serious conviction through seeds/case_conviction_severity (serious,
    other, minor), 'none' where the record has no conviction;
  * coverage: a layout x fiscal year where no record has a conviction did not record them at
    all (convictions_recorded false): its severity is unknown, never "no conviction".
#}
with

events as (
    select * from {{ ref('stg_cases__events') }}
),

places as (
    select * from {{ source('raw', 'cases_place_matches') }}
),

severity as (
    select * from {{ ref('case_conviction_severity') }}
),

classified as (
    select
        events.layout,
        events.event_kind,
        events.fiscal_year,
        events.published_state as state,
        events.method,
        events.published_place,
        places.jurisdiction_id,
        places.jurisdiction_name,
        places.state as jurisdiction_state,
        case
            when places.jurisdiction_id is not null then 'county jail'
            else coalesce(places.match_method, 'place not recorded')
        end as place_class,
        events.most_serious_conviction,
        case
            when events.most_serious_conviction is null then 'none'
            else coalesce(severity.severity_class, 'unclassified')
        end as severity_class,
        events.n
    from events
    left join places
        on events.published_state is not distinct from places.published_state
        and events.published_place is not distinct from places.published_place
    left join severity
        on events.most_serious_conviction = severity.most_serious_conviction
),

final as (
    select
        *,
        bool_or(severity_class <> 'none')
            over (partition by layout, fiscal_year) as convictions_recorded
    from classified
)

select * from final
