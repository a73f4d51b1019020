with

source as (
    select * from {{ source('raw', 'interop_reports') }}
),

final as (
    select
        state as published_state,
        jurisdiction as published_name,
        cast(activation_date as date) as activation_date,
        cast(report_through as date) as report_through,
        cast(submissions as bigint) as submissions,
        cast(matches_l1 as bigint) as matches_l1,
        cast(matches_l2 as bigint) as matches_l2,
        cast(matches_l3 as bigint) as matches_l3,
        cast(matches_nc as bigint) as matches_nc,
        cast(matches_total as bigint) as matches_total,
        cast(removals_l1 as bigint) as removals_l1,
        cast(removals_l2 as bigint) as removals_l2,
        cast(removals_l3 as bigint) as removals_l3,
        cast(removals_nc as bigint) as removals_nc,
        cast(removals_total as bigint) as removals_total,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_line as source_line,
        _load_id as load_id,
        _loaded_at as loaded_at
    from source
)

select * from final
