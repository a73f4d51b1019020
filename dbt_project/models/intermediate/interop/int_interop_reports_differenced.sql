{#
  Cumulative-since-activation counts become fiscal-year flows: take each jurisdiction's last
  report of each fiscal year and subtract the previous one (the first one counts from activation).
  A series that goes DOWN between those reports is a restatement: its flow is not computable, so
  the level's n is NULL and the whole jurisdiction-year measure is flagged (its total is NULL too,
  as the total includes the restated level). Nothing becomes a negative flow.
#}
with

reports as (
    select * from {{ ref('int_interop_reports_resolved') }}
    where jurisdiction_id is not null
),

scales as (
    select * from {{ ref('offense_scales') }}
    where scale = 'sc_interop'
),

fiscal_year_end_reports as (
    select * from reports
    qualify row_number() over (
        partition by jurisdiction_id, fiscal_year order by report_through desc
    ) = 1
),

long as (
    from fiscal_year_end_reports
    unpivot include nulls (
        cumulative for series in (
            {{ interop_cumulative_series() }}
        )
    )
    select jurisdiction_id, fiscal_year, report_through, activation_date, series, cumulative
),

labelled as (
    select
        long.jurisdiction_id,
        long.fiscal_year,
        long.report_through,
        long.activation_date,
        case split_part(long.series, '_', 1)
            when 'matches' then 'referrals'
            else split_part(long.series, '_', 1)
        end as measure,
        scales.scale,
        scales.severity_level,
        scales.severity_rank,
        scales.is_minor,
        scales.in_shares,
        long.cumulative
    from long
    inner join scales
        on scales.source_code = coalesce(nullif(split_part(long.series, '_', 2), ''), 'total')
),

differenced as (
    select
        *,
        lag(cumulative) over series_window as previous_cumulative,
        lag(report_through) over series_window as previous_report_through,
        row_number() over series_window as report_number
    from labelled
    window series_window as (
        partition by jurisdiction_id, measure, severity_level order by fiscal_year
    )
),

flows as (
    select
        *,
        case
            when report_number = 1 then cumulative
            else cumulative - previous_cumulative
        end as raw_flow
    from differenced
),

flagged as (
    select
        *,
        coalesce(raw_flow < 0, false) as series_decreased,
        bool_or(coalesce(raw_flow < 0, false)) over (
            partition by jurisdiction_id, fiscal_year, measure
        ) as is_restated
    from flows
),

final as (
    select
        jurisdiction_id,
        fiscal_year,
        measure,
        severity_level,
        severity_rank,
        scale,
        is_minor,
        in_shares,
        case
            when series_decreased then null
            when is_restated and severity_level = 'TOTAL' then null
            else raw_flow
        end as n,
        cumulative,
        previous_cumulative,
        series_decreased,
        is_restated,
        case
            when report_number = 1 then activation_date
            else previous_report_through + 1
        end as flow_from,
        report_through as flow_through
    from flagged
)

select * from final
