{#
  The case records as counted in one pass at load time (raw.cases_grouped: one row per file,
  state, county, fiscal year and published severity codes, with n records), renamed and with the
  FOIA redaction token "b(6), b(7)c" read as missing.
#}
with

source as (
    select * from {{ source('raw', 'cases_grouped') }}
    -- the removals layout (NULL: loaded before there were other layouts)
    where coalesce(event_kind, 'removal') = 'removal'
),

final as (
    select
        apprehension_state as published_state,
        apprehension_county as published_county,
        fiscal_year,
        nullif(trim(case_threat_level), 'b(6), b(7)c') as threat_level,
        nullif(trim(case_criminality), 'b(6), b(7)c') as criminality,
        n,
        _source_file as source_file
    from source
)

select * from final
