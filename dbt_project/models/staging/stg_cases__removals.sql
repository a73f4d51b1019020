{#
  Case records renamed and typed. The FOIA redaction token "b(6), b(7)c" means missing.
  Departed Date is read in the formats releases use (MM/DD/YYYY, ISO date, ISO timestamp).
#}
with

source as (
    select * from {{ source('raw', 'cases') }}
),

final as (
    select
        "Apprehension State" as published_state,
        "Apprehension County" as published_county,
        cast(try_strptime(
            nullif(trim("Departed Date"), 'b(6), b(7)c'),
            ['%m/%d/%Y', '%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%m/%d/%Y %H:%M']
        ) as date) as departed_date,
        nullif(trim("Case Threat Level"), 'b(6), b(7)c') as threat_level,
        nullif(trim("Case Criminality"), 'b(6), b(7)c') as criminality,
        _source_file as source_file,
        _source_row as source_row
    from source
)

select * from final
