{#
  Every pair of consecutive reports of a jurisdiction (mid-year ones included), per cumulative
  series, with the change between them. A negative change is a restatement; the Great
  Expectations check `interop_restatements` and qa_interop_restatements surface them.
#}
with

reports as (
    select * from {{ ref('int_interop_reports_resolved') }}
    where jurisdiction_id is not null
),

long as (
    from reports
    unpivot (
        cumulative for series in (
            {{ interop_cumulative_series() }}
        )
    )
    select jurisdiction_id, report_through, source_file, source_line, series, cumulative
),

changes as (
    select
        jurisdiction_id,
        series,
        lag(report_through) over series_window as previous_report_through,
        report_through,
        lag(cumulative) over series_window as previous_cumulative,
        cumulative,
        cumulative - lag(cumulative) over series_window as change,
        source_file,
        source_line
    from long
    window series_window as (partition by jurisdiction_id, series order by report_through)
),

final as (
    select * from changes
    where previous_report_through is not null
)

select * from final
