{#
  One activation date per county: the earliest non-missing date_secure of the panel (and of its
  state-wide date), with retired county codes (seeds/county_fips_changes.csv, e.g. 46113 Shannon
  -> 46102 Oglala Lakota) carried to the codes that replaced them, so the Census county list and
  the panel meet. A county that absorbed several codes takes the earliest date.
#}
with

panel as (
    select * from {{ ref('stg_sc__activation_panel') }}
),

changes as (
    select * from {{ ref('county_fips_changes') }}
),

per_panel_code as (
    select
        panel_county_fips,
        min(activation_date) as activation_date,
        min(statewide_activation_date) as statewide_activation_date,
        min(source_line) as first_source_line
    from panel
    group by panel_county_fips
),

carried_forward as (
    select
        coalesce(changes.new_fips, per_panel_code.panel_county_fips) as jurisdiction_id,
        per_panel_code.*
    from per_panel_code
    left join changes on per_panel_code.panel_county_fips = changes.old_fips
),

final as (
    select
        jurisdiction_id,
        min(activation_date) as activation_date,
        min(statewide_activation_date) as statewide_activation_date,
        string_agg(panel_county_fips, ' | ' order by panel_county_fips) as panel_county_codes
    from carried_forward
    group by jurisdiction_id
)

select * from final
