with

source as (
    select * from {{ source('raw', 'acs_noncitizen') }}
),

final as (
    select
        fips as jurisdiction_id,
        cast(year as integer) as year,
        cast(noncit_pop as bigint) as noncitizen_population,
        cast(moe as bigint) as noncitizen_population_moe,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from final
