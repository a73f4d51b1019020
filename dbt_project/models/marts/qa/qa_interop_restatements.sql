with

changes as (
    select * from {{ ref('int_interop_cumulative_changes') }}
),

jurisdictions as (
    select * from {{ ref('dim_jurisdiction') }}
),

final as (
    select
        changes.jurisdiction_id,
        jurisdictions.name as jurisdiction_name,
        jurisdictions.state,
        changes.series,
        changes.previous_report_through,
        changes.report_through,
        changes.previous_cumulative,
        changes.cumulative,
        changes.change,
        changes.source_file,
        changes.source_line
    from changes
    inner join jurisdictions on changes.jurisdiction_id = jurisdictions.jurisdiction_id
    where changes.change < 0
)

select * from final
