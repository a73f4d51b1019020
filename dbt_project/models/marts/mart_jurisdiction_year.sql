with

facts as (
    select * from {{ ref('fct_referrals_by_severity') }}
),

jurisdictions as (
    select * from {{ ref('dim_jurisdiction') }}
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

final as (
    select
        counts.jurisdiction_id,
        counts.fiscal_year,
        jurisdictions.name as jurisdiction_name,
        jurisdictions.state,
        jurisdictions.kind,
        jurisdictions.activation_date,
        counts.flow_from,
        counts.flow_through,
        submissions.submissions,
        counts.* exclude (jurisdiction_id, fiscal_year, flow_from, flow_through),
        {{ severity_shares() }}
    from counts
    inner join jurisdictions on counts.jurisdiction_id = jurisdictions.jurisdiction_id
    left join submissions
        on counts.jurisdiction_id = submissions.jurisdiction_id
        and counts.fiscal_year = submissions.fiscal_year
)

select * from final
