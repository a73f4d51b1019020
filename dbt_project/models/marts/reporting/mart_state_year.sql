with

facts as (
    select * from {{ ref('fct_referrals_by_severity') }}
    where is_complete and source = 'interop'
),

jurisdictions as (
    select * from {{ ref('dim_jurisdiction') }}
),

counts as (
    select
        jurisdictions.state,
        jurisdictions.state_fips,
        facts.fiscal_year,
        count(distinct facts.jurisdiction_id) filter (where facts.measure = 'referrals')
            as referrals_jurisdictions,
        count(distinct facts.jurisdiction_id) filter (where facts.measure = 'removals')
            as removals_jurisdictions,
        {{ severity_counts('levels') }}
    from facts
    inner join jurisdictions on facts.jurisdiction_id = jurisdictions.jurisdiction_id
    group by jurisdictions.state, jurisdictions.state_fips, facts.fiscal_year
),

final as (
    select
        *,
        {{ severity_shares() }}
    from counts
)

select * from final
