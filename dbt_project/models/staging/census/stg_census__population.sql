with

source as (
    select * from {{ source('raw', 'census_population') }}
),

final as (
    select
        sumlev as summary_level,
        state || county as jurisdiction_id,
        state as state_fips,
        county as county_fips,
        stname as state_name,
        ctyname as name,
        cast(census2010pop as bigint) as census_2010_population,
        {%- for year in range(2010, 2020) %}
        cast(popestimate{{ year }} as bigint) as population_{{ year }},
        {%- endfor %}
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from final
