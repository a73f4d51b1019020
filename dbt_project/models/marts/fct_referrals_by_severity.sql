with

flows as (
    select * from {{ ref('int_interop_reports_differenced') }}
    where measure in ('referrals', 'removals')
),

totals as (
    select jurisdiction_id, fiscal_year, measure, n as measure_total
    from flows
    where severity_level = 'TOTAL'
),

levels as (
    select * from flows
    where in_shares
),

completeness as (
    select
        jurisdiction_id,
        fiscal_year,
        measure,
        count(n) = count(*) as levels_reported
    from levels
    group by jurisdiction_id, fiscal_year, measure
),

final as (
    select
        levels.jurisdiction_id,
        levels.fiscal_year,
        levels.measure,
        levels.severity_level,
        levels.severity_rank,
        levels.scale as severity_scale,
        levels.is_minor,
        levels.n,
        totals.measure_total,
        levels.n / nullif(totals.measure_total, 0) as share,
        completeness.levels_reported and totals.measure_total is not null as is_complete,
        levels.is_restated,
        levels.flow_from,
        levels.flow_through,
        'interop' as source
    from levels
    inner join totals
        on levels.jurisdiction_id = totals.jurisdiction_id
        and levels.fiscal_year = totals.fiscal_year
        and levels.measure = totals.measure
    inner join completeness
        on levels.jurisdiction_id = completeness.jurisdiction_id
        and levels.fiscal_year = completeness.fiscal_year
        and levels.measure = completeness.measure
)

select * from final
