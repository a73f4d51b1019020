with

population as (
    select * from {{ ref('stg_census__population') }}
    where summary_level = '050'
),

long as (
    from population
    unpivot (
        population for estimate_column in (
            {%- for year in range(2010, 2020) %}
            population_{{ year }}{{ ',' if not loop.last }}
            {%- endfor %}
        )
    )
    select
        jurisdiction_id,
        cast(split_part(estimate_column, '_', 2) as integer) as year,
        population
),

final as (
    select * from long
)

select * from final
