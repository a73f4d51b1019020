with

reports as (
    select * from {{ ref('int_interop_reports_resolved') }}
),

final as (
    select
        published_state,
        published_name,
        report_through,
        quarantine_reason,
        source_file,
        source_line
    from reports
    where jurisdiction_id is null
)

select * from final
