with

source as (
    select * from {{ source('raw', 'g287_agency_years') }}
),

final as (
    select
        state as published_state,
        agency as published_agency,
        agency_short,
        agency_raw,
        cast(fiscal_year as integer) as fiscal_year,
        cast(fy_start as date) as fy_start,
        cast(fy_end as date) as fy_end,
        cast(identified as bigint) as identified,
        cast(removed as bigint) as removed,
        cast(attests_active as boolean) as attests_active,
        cast(source_footnote as boolean) as source_footnote,
        cast(latitude as double) as latitude,
        cast(longitude as double) as longitude,
        address,
        source as published_source,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_line as source_line,
        _load_id as load_id,
        _loaded_at as loaded_at
    from source
)

select * from final
