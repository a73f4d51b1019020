{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{% if is_incremental() %}delete from {{ this }} where fiscal_year is null or fiscal_year in (select fiscal_year from {{ source('raw', 'cases_load_scope') }}){% else %}select 1{% endif %}"
) }}
{#
  The case records (already counted in one pass at load) placed in their jurisdiction (the same
  normalization as the statistics), its fiscal year and its severity (seeds/case_severity_mapping:
  a threat level wins, else the criminality; nothing known = UNKNOWN), then counted. Everything
  downstream reads this small table, never the millions of rows again.

  Incremental by fiscal year: a full load (scomm_job, dbt --full-refresh) builds it whole; an
  incremental load of some fiscal years (cases_job, Dagster partitions) deletes and rebuilds those
  years only (raw.cases_load_scope), plus the undated records, which any file may carry.
#}
with

cases as (
    select * from {{ ref('stg_cases__removals') }}
    {% if is_incremental() %}
    where fiscal_year is null
        or fiscal_year in (select fiscal_year from {{ source('raw', 'cases_load_scope') }})
    {% endif %}
),

matches as (
    select * from {{ source('raw', 'cases_jurisdiction_matches') }}
),

mapping as (
    select * from {{ ref('case_severity_mapping') }}
),

classified as (
    select
        matches.jurisdiction_id,
        cases.fiscal_year,
        coalesce(by_level.severity_level, by_criminality.severity_level, 'UNKNOWN')
            as severity_level,
        coalesce(by_level.scale, by_criminality.scale, 'none') as severity_scale,
        matches.quarantine_reason,
        cases.n
    from cases
    left join matches
        on cases.published_state is not distinct from matches.published_state
        and cases.published_county is not distinct from matches.published_county
    left join mapping as by_level
        on by_level.field = 'Case Threat Level' and cases.threat_level = by_level.value
    left join mapping as by_criminality
        on by_criminality.field = 'Case Criminality'
        and cases.criminality = by_criminality.value
),

final as (
    select
        jurisdiction_id,
        fiscal_year,
        severity_level,
        severity_scale,
        quarantine_reason,
        cast(sum(n) as bigint) as n
    from classified
    group by all
)

select * from final
