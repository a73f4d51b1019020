{#
  The rollout over time: at each distinct county activation date, how much of the country was
  covered. The universe is the population source's county list (all US counties with the real
  Census file), each with its activation date from dim_jurisdiction.
#}
with

counties as (
    select * from {{ ref('dim_jurisdiction') }}
    where in_population_source and kind <> 'state-level'
),

activation_dates as (
    select distinct activation_date from counties
    where activation_date is not null
),

universe as (
    select
        count(*) as counties_total,
        count(distinct state) as states_total,
        sum(population_2010) as population_total
    from counties
),

state_completion as (
    select state, max(activation_date) as fully_activated_on
    from counties
    group by state
    having count(activation_date) = count(*)
),

covered as (
    select
        activation_dates.activation_date,
        count(*) as counties_activated,
        count(distinct counties.state) as states_with_activation,
        sum(counties.population_2010) as population_covered
    from activation_dates
    inner join counties on activation_dates.activation_date >= counties.activation_date
    group by activation_dates.activation_date
),

final as (
    select
        covered.activation_date,
        covered.counties_activated,
        universe.counties_total,
        covered.states_with_activation,
        (
            select count(*) from state_completion
            where state_completion.fully_activated_on <= covered.activation_date
        ) as states_fully_activated,
        universe.states_total,
        covered.population_covered,
        covered.population_covered / universe.population_total as population_share_covered
    from covered
    cross join universe
)

select * from final
