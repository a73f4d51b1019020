with

facts as (
    select * from {{ ref('fct_referrals_by_severity') }}
    where is_complete and source = 'interop'
),

counts as (
    select
        fiscal_year,
        count(distinct jurisdiction_id) filter (where measure = 'referrals')
            as referrals_jurisdictions,
        count(distinct jurisdiction_id) filter (where measure = 'removals')
            as removals_jurisdictions,
        {{ severity_counts('levels') }}
    from facts
    group by fiscal_year
),

final as (
    select
        *,
        {{ severity_shares() }}
    from counts
)

select * from final
