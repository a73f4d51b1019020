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

case_counts as (
    select * from {{ ref('int_case_removals_by_severity') }}
    where jurisdiction_id is not null and fiscal_year is not null
),

scales as (
    select * from {{ ref('offense_scales') }}
    where scale = 'sc_interop' and in_shares
),

case_grid as (
    -- every jurisdiction-year with case records gets all four levels: a level with no record
    -- is a count of 0 (the records are complete), unlike a level an aggregate left blank
    select distinct case_counts.jurisdiction_id, case_counts.fiscal_year, scales.severity_level,
        scales.severity_rank, scales.is_minor
    from case_counts
    cross join scales
),

case_levels as (
    select
        case_grid.jurisdiction_id,
        case_grid.fiscal_year,
        case_grid.severity_level,
        case_grid.severity_rank,
        case_grid.is_minor,
        cast(coalesce(sum(case_counts.n), 0) as bigint) as n
    from case_grid
    left join case_counts
        on case_grid.jurisdiction_id = case_counts.jurisdiction_id
        and case_grid.fiscal_year = case_counts.fiscal_year
        and case_grid.severity_level = case_counts.severity_level
    group by all
),

case_facts as (
    select
        jurisdiction_id,
        fiscal_year,
        'removals' as measure,
        severity_level,
        severity_rank,
        'ice_case_records' as severity_scale,
        is_minor,
        n,
        cast(sum(n) over (partition by jurisdiction_id, fiscal_year) as bigint) as measure_total,
        n / nullif(sum(n) over (partition by jurisdiction_id, fiscal_year), 0) as share,
        true as is_complete,
        false as is_restated,
        {{ fiscal_year_start('fiscal_year') }} as flow_from,
        {{ fiscal_year_end('fiscal_year') }} as flow_through,
        'cases' as source
    from case_levels
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

interop_facts as (
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
),

final as (
    select * from interop_facts
    union all
    select * from case_facts
)

select * from final
