{#
  Per case layout and fiscal year: whether the release recorded the most serious conviction at
  all. A layout x fiscal year where every record's conviction is empty or NA did not record it:
  the marts give NULL severity counts and shares there, never 100 % "no conviction".
#}
with

events as (
    select * from {{ ref('int_case_events_classified') }}
    where fiscal_year is not null
),

final as (
    select
        layout,
        event_kind,
        fiscal_year,
        cast(sum(n) as bigint) as records,
        cast(coalesce(sum(n) filter (where severity_class <> 'none'), 0) as bigint)
            as records_with_conviction,
        cast(coalesce(sum(n) filter (where severity_class = 'none'), 0) as bigint)
            as records_without_conviction,
        bool_and(convictions_recorded) as convictions_recorded
    from events
    group by layout, event_kind, fiscal_year
)

select * from final
