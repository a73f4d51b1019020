with

source as (
    select * from {{ source('raw', 'sc_activation_panel') }}
),

final as (
    select
        lpad(cast(cast(county as bigint) as varchar), 5, '0') as panel_county_fips,
        lpad(cast(cast(statefips as bigint) as varchar), 2, '0') as state_fips,
        cast(year as integer) as year,
        date_secure as activation_date,
        date_statewide_secure as statewide_activation_date,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from final
