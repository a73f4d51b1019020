with

matches as (
    select * from {{ ref('stg_interop__jurisdiction_matches') }}
    where jurisdiction_id is not null
),

reports as (
    select * from {{ ref('int_interop_reports_resolved') }}
    where jurisdiction_id is not null
),

report_span as (
    select
        jurisdiction_id,
        min(activation_date) as activation_date,
        count(distinct activation_date) as activation_dates_published,
        min(report_through) as first_report_through,
        max(report_through) as last_report_through
    from reports
    group by jurisdiction_id
),

names as (
    select
        jurisdiction_id,
        any_value(jurisdiction_name) as name,
        any_value(state) as state,
        any_value(kind) as kind,
        string_agg(distinct published_name, ' | ' order by published_name) as published_names
    from matches
    group by jurisdiction_id
),

final as (
    select
        names.jurisdiction_id,
        names.name,
        names.state,
        left(names.jurisdiction_id, 2) as state_fips,
        names.kind,
        report_span.activation_date,
        report_span.activation_dates_published,
        report_span.first_report_through,
        report_span.last_report_through,
        names.published_names
    from names
    inner join report_span on names.jurisdiction_id = report_span.jurisdiction_id
)

select * from final
