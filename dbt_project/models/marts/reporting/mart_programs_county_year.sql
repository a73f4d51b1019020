{#
  The two programs side by side, per county (or county equivalent) and fiscal year: Secure
  Communities' activation and months active in the year, its referrals and removals where the
  statistics were loaded, and 287(g)'s identified and removed where an agency of the county took
  part. State-level ids (state agencies) are left out: they have no county.
#}
with

sc as (
    select * from {{ ref('mart_jurisdiction_year') }}
    where kind != 'state-level'
),

g287 as (
    select * from {{ ref('mart_287g_jurisdiction_year') }}
    where kind != 'state-level'
),

jurisdictions as (
    select * from {{ ref('dim_jurisdiction') }}
),

noncitizens as (
    select * from {{ ref('stg_acs__noncitizen') }}
),

county_years as (
    select jurisdiction_id, fiscal_year from sc
    union
    select jurisdiction_id, fiscal_year from g287
),

final as (
    select
        county_years.jurisdiction_id,
        county_years.fiscal_year,
        jurisdictions.name as jurisdiction_name,
        jurisdictions.state,
        jurisdictions.kind,
        jurisdictions.activation_date as sc_activation_date,
        {{ months_active_in_fiscal_year('jurisdictions.activation_date',
                                        'county_years.fiscal_year') }} as sc_months_active,
        coalesce(
            jurisdictions.activation_date
            between {{ fiscal_year_start('county_years.fiscal_year') }}
            and {{ fiscal_year_end('county_years.fiscal_year') }},
            false
        ) as sc_activated_in_fiscal_year,
        sc.jurisdiction_id is not null as sc_statistics_loaded,
        sc.referrals_total as sc_referrals,
        sc.removals_total as sc_removals,
        g287.jurisdiction_id is not null as in_287g_statistics,
        g287.identified as g287_identified,
        g287.removed as g287_removed,
        g287.agencies as g287_agencies,
        g287.agency_names as g287_agency_names,
        noncitizens.noncitizen_population,
        {{ per_100k('sc.removals_total', 'noncitizens.noncitizen_population') }}
            as sc_removals_per_100k_noncitizens,
        {{ per_100k('g287.removed', 'noncitizens.noncitizen_population') }}
            as g287_removed_per_100k_noncitizens
    from county_years
    inner join jurisdictions on county_years.jurisdiction_id = jurisdictions.jurisdiction_id
    left join sc
        on county_years.jurisdiction_id = sc.jurisdiction_id
        and county_years.fiscal_year = sc.fiscal_year
    left join g287
        on county_years.jurisdiction_id = g287.jurisdiction_id
        and county_years.fiscal_year = g287.fiscal_year
    left join noncitizens
        on county_years.jurisdiction_id = noncitizens.jurisdiction_id
        and county_years.fiscal_year = noncitizens.year
)

select * from final
