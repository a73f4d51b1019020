{#
  Compiled place figures that are not published in mart_place_figures, each with its file, line
  and the reason naming the column (a place that cannot be placed, a value that is not a number
  as written, a percentage over 100, a period that is not a date or lies before the program or
  in the future, a duplicate row): listed, never dropped.
#}
with

figures as (
    select * from {{ ref('stg_place_figures__typed') }}
),

final as (
    select
        place_published,
        state,
        place_kind,
        metric,
        value_published,
        period_start_published,
        period_end_published,
        quarantine_reason,
        source_url,
        source_file,
        source_line
    from figures
    where quarantine_reason is not null
)

select * from final
