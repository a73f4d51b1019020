{#
  Each Secure Communities figure the agencies published (national or state), beside the same
  measure for the same date in this warehouse where it holds one (seeds/figure_measures), with the
  difference: never a silent match. `comparison` says why a figure has no warehouse value.
#}
with

figures as (
    select * from {{ ref('mart_published_figures') }}
    where program = 'Secure Communities' and geography in ('national', 'state')
),

measures as (
    select * from {{ ref('figure_measures') }}
),

reports as (
    select * from {{ ref('int_interop_reports_resolved') }}
    where jurisdiction_id is not null
),

interop_long as (
    unpivot reports
    on submissions, matches_total, matches_l1, removals_total, removals_l1, removals_l2,
    removals_l3, removals_nc
    into name measure value value
),

interop_cumulative as (
    select
        report_through,
        null as state,
        measure,
        sum(value) as value
    from interop_long
    group by report_through, measure
    union all
    select
        report_through,
        state,
        measure,
        sum(value) as value
    from interop_long
    group by report_through, state, measure
),

rollout as (
    select * from {{ ref('mart_rollout') }}
),

interop_loaded as (
    select count(*) > 0 as is_loaded from reports
),

joined as (
    select
        figures.figure_id,
        figures.scope,
        figures.geography,
        figures.state,
        figures.metric,
        figures.period_start,
        figures.period_end,
        figures.value as published_value,
        figures.is_approximate,
        figures.source_class,
        figures.source_url,
        measures.warehouse_measure,
        measures.warehouse_source,
        measures.note as measure_note,
        case
            when measures.warehouse_source = 'activations' and figures.geography = 'national'
                then (
                    select max(rollout.counties_activated)
                    from rollout
                    where rollout.activation_date <= figures.period_end
                )
            when measures.warehouse_source = 'interop'
                then (
                    select max(cumulative.value)
                    from interop_cumulative as cumulative
                    where
                        cumulative.report_through = figures.period_end
                        and cumulative.measure = measures.warehouse_measure
                        and cumulative.state is not distinct from figures.state
                )
        end as warehouse_value
    from figures
    left join measures on figures.metric = measures.metric
),

final as (
    select
        joined.*,
        joined.warehouse_value - joined.published_value as difference,
        case
            when joined.warehouse_value is not null then 'compared'
            when joined.warehouse_measure is null then 'no comparable measure'
            when
                joined.warehouse_source = 'activations' and joined.geography <> 'national'
                then 'no comparable measure'
            when joined.warehouse_source = 'interop' and not interop_loaded.is_loaded
                then 'not loaded'
            when joined.warehouse_source = 'interop' then 'no report for the period end'
            else 'no value'
        end as comparison
    from joined
    cross join interop_loaded
)

select * from final
