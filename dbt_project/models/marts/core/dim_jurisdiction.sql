with

matches as (
    select * from {{ ref('stg_interop__jurisdiction_matches') }}
    where jurisdiction_id is not null
),

reports as (
    select * from {{ ref('int_interop_reports_resolved') }}
    where jurisdiction_id is not null
),

census_counties as (
    select * from {{ ref('stg_census__population') }}
    where summary_level = '050'
),

activations as (
    select * from {{ ref('int_county_activations') }}
),

case_names as (
    select
        jurisdiction_id,
        any_value(jurisdiction_name) as name,
        any_value(kind) as kind
    from {{ source('raw', 'cases_jurisdiction_matches') }}
    where jurisdiction_id is not null
    group by jurisdiction_id
),

g287_names as (
    select
        jurisdiction_id,
        any_value(jurisdiction_name) as name,
        any_value(kind) as kind
    from {{ ref('stg_g287__agency_matches') }}
    where jurisdiction_id is not null
    group by jurisdiction_id
),

states as (
    select * from {{ ref('us_states') }}
),

report_span as (
    select
        jurisdiction_id,
        min(activation_date) as interop_activation_date,
        count(distinct activation_date) as activation_dates_published,
        min(report_through) as first_report_through,
        max(report_through) as last_report_through
    from reports
    group by jurisdiction_id
),

interop_names as (
    select
        jurisdiction_id,
        any_value(jurisdiction_name) as name,
        any_value(kind) as kind,
        string_agg(distinct published_name, ' | ' order by published_name) as published_names
    from matches
    group by jurisdiction_id
),

all_ids as (
    select jurisdiction_id from census_counties
    union
    select jurisdiction_id from interop_names
    union
    select jurisdiction_id from case_names
    union
    select jurisdiction_id from g287_names
),

state_wide_dates as (
    select left(jurisdiction_id, 2) as state_fips,
           min(statewide_activation_date) as statewide_activation_date
    from activations
    group by left(jurisdiction_id, 2)
),

joined as (
    select
        all_ids.jurisdiction_id,
        coalesce(census_counties.name, interop_names.name, case_names.name, g287_names.name)
            as name,
        states.state,
        left(all_ids.jurisdiction_id, 2) as state_fips,
        coalesce(interop_names.kind, case_names.kind, g287_names.kind,
                 {{ jurisdiction_kind('census_counties.name') }}) as kind,
        census_counties.census_2010_population as population_2010,
        activations.activation_date as source_activation_date,
        report_span.interop_activation_date,
        coalesce(activations.statewide_activation_date, state_wide_dates.statewide_activation_date)
            as statewide_activation_date,
        report_span.activation_dates_published,
        report_span.first_report_through,
        report_span.last_report_through,
        interop_names.published_names,
        activations.panel_county_codes,
        census_counties.jurisdiction_id is not null as in_population_source,
        report_span.jurisdiction_id is not null as in_interop_reports,
        g287_names.jurisdiction_id is not null as in_287g_statistics
    from all_ids
    left join census_counties on all_ids.jurisdiction_id = census_counties.jurisdiction_id
    left join interop_names on all_ids.jurisdiction_id = interop_names.jurisdiction_id
    left join case_names on all_ids.jurisdiction_id = case_names.jurisdiction_id
    left join g287_names on all_ids.jurisdiction_id = g287_names.jurisdiction_id
    left join report_span on all_ids.jurisdiction_id = report_span.jurisdiction_id
    left join activations on all_ids.jurisdiction_id = activations.jurisdiction_id
    left join states on left(all_ids.jurisdiction_id, 2) = states.state_fips
    left join state_wide_dates on left(all_ids.jurisdiction_id, 2) = state_wide_dates.state_fips
),

final as (
    select
        jurisdiction_id,
        name,
        state,
        state_fips,
        kind,
        population_2010,
        coalesce(source_activation_date, interop_activation_date) as activation_date,
        case
            when source_activation_date is not null then 'activations'
            when interop_activation_date is not null then 'interop'
        end as activation_date_source,
        statewide_activation_date,
        interop_activation_date,
        date_diff('day', source_activation_date, interop_activation_date)
            as activation_date_difference_days,
        activation_dates_published,
        first_report_through,
        last_report_through,
        published_names,
        panel_county_codes,
        in_population_source,
        in_interop_reports,
        in_287g_statistics
    from joined
)

select * from final
