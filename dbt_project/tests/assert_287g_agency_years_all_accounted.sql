{{ config(meta={"dagster": {"ref": {"name": "mart_287g_jurisdiction_year"}}}) }}
-- Every 287(g) agency-year row of the release is either summed in mart_287g_jurisdiction_year or
-- counted in qa_287g_quarantined_agencies: none dropped, none counted twice. Returns a row when
-- the two do not add up to the staged rows.
with

staged as (
    select count(*) as n from {{ ref('stg_g287__agency_years') }}
),

placed as (
    select coalesce(sum(agencies), 0) as n from {{ ref('mart_287g_jurisdiction_year') }}
),

quarantined as (
    select coalesce(sum(agency_years), 0) as n from {{ ref('qa_287g_quarantined_agencies') }}
)

select
    staged.n as staged,
    placed.n as placed,
    quarantined.n as quarantined
from staged
cross join placed
cross join quarantined
where staged.n != placed.n + quarantined.n
