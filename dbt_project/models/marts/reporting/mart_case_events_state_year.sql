{#
  Arrests and book-ins per state (as the file gives it: AMBIGUOUS, OTHER and NA kept), fiscal
  year, event kind and method: every event, how many were placed in a county (a jail) or stay
  at state level (offices, operations, prisons, non-custodial arrests, unresolved jails),
  counts by severity class of the most serious conviction and the shares with their Wilson
  intervals (NULL where the release recorded no convictions).
#}
with

events as (
    select * from {{ ref('int_case_events_classified') }}
    where fiscal_year is not null
),

counted as (
    select
        state,
        fiscal_year,
        event_kind,
        method,
        cast(coalesce(sum(n) filter (where jurisdiction_id is not null), 0) as bigint)
            as events_in_county,
        cast(coalesce(sum(n) filter (where jurisdiction_id is null), 0) as bigint)
            as events_state_level,
        {{ case_event_counts() }}
    from events
    group by state, fiscal_year, event_kind, method
),

final as (
    select
        *,
        {{ case_event_shares() }}
    from counted
)

select * from final
