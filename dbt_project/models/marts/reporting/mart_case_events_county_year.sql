{#
  Arrests and book-ins at a jail resolved to its county, per county, fiscal year, event kind
  and method: counts by severity class of the most serious conviction and the shares with
  their Wilson intervals (NULL where the release recorded no convictions). Events that stay at
  state level are in mart_case_events_state_year only.
#}
with

events as (
    select * from {{ ref('int_case_events_classified') }}
    where fiscal_year is not null and jurisdiction_id is not null
),

counted as (
    select
        jurisdiction_id,
        any_value(jurisdiction_name) as jurisdiction_name,
        any_value(jurisdiction_state) as state,
        fiscal_year,
        event_kind,
        method,
        {{ case_event_counts() }}
    from events
    group by jurisdiction_id, fiscal_year, event_kind, method
),

final as (
    select
        *,
        {{ case_event_shares() }}
    from counted
)

select * from final
