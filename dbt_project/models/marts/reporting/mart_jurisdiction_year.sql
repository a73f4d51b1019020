with

facts as (
    select * from {{ ref('fct_referrals_by_severity') }}
    where source = 'interop'
),

jurisdictions as (
    select * from {{ ref('dim_jurisdiction') }}
),

population as (
    select * from {{ ref('int_population_by_year') }}
),

noncitizens as (
    select * from {{ ref('stg_acs__noncitizen') }}
),

submissions as (
    select jurisdiction_id, fiscal_year, n as submissions
    from {{ ref('int_interop_reports_differenced') }}
    where measure = 'submissions'
),

counts as (
    select
        jurisdiction_id,
        fiscal_year,
        min(flow_from) as flow_from,
        max(flow_through) as flow_through,
        {{ severity_counts('reported') }},
        coalesce(bool_or(is_restated) filter (where measure = 'referrals'), false)
            as referrals_restated,
        coalesce(bool_or(is_restated) filter (where measure = 'removals'), false)
            as removals_restated
    from facts
    group by jurisdiction_id, fiscal_year
),

joined as (
    select
        counts.jurisdiction_id,
        counts.fiscal_year,
        jurisdictions.name as jurisdiction_name,
        jurisdictions.state,
        jurisdictions.kind,
        jurisdictions.activation_date,
        {{ fiscal_year_start('counts.fiscal_year') }} as fiscal_year_start,
        {{ fiscal_year_end('counts.fiscal_year') }} as fiscal_year_end,
        counts.flow_from,
        counts.flow_through,
        population.population,
        noncitizens.noncitizen_population,
        noncitizens.noncitizen_population_moe,
        submissions.submissions,
        counts.* exclude (jurisdiction_id, fiscal_year, flow_from, flow_through)  -- noqa: RF02
    from counts
    inner join jurisdictions on counts.jurisdiction_id = jurisdictions.jurisdiction_id
    left join submissions
        on counts.jurisdiction_id = submissions.jurisdiction_id
        and counts.fiscal_year = submissions.fiscal_year
    left join population
        on counts.jurisdiction_id = population.jurisdiction_id
        and counts.fiscal_year = population.year
    left join noncitizens
        on counts.jurisdiction_id = noncitizens.jurisdiction_id
        and counts.fiscal_year = noncitizens.year
),

final as (
    select
        * exclude (fiscal_year_start, fiscal_year_end),
        {{ months_active_in_fiscal_year('activation_date', 'fiscal_year') }} as months_active,
        coalesce(activation_date between fiscal_year_start and fiscal_year_end, false)
            as activated_in_fiscal_year,
        {{ per_100k('referrals_total', 'noncitizen_population') }}
            as referrals_per_100k_noncitizens,
        {{ per_100k('removals_total', 'noncitizen_population') }}
            as removals_per_100k_noncitizens,
        {{ severity_shares() }}
    from joined
)

select * from final
