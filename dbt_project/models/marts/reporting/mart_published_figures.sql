{#
  What the agencies published, as cited context beside the warehouse's own numbers: every figure
  whose period is usable, with its source page and how direct that source is.
#}
with

figures as (
    select * from {{ ref('stg_figures__published') }}
),

final as (
    select
        md5(concat_ws('|', scope, metric, period_start, period_end, source_url)) as figure_id,
        program,
        geography,
        state,
        scope,
        metric,
        value,
        is_approximate,
        period_start,
        period_end,
        fiscal_year,
        note,
        source_url,
        source_kind,
        source_class,
        source_file,
        source_line
    from figures
    where quarantine_reason is null
)

select * from final
