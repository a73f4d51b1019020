{#
  What ICE or DHS reported for one place, as compiled from public pages: one row per usable
  figure (qa_place_figures_quarantined lists the rest with the reason), placed on its county
  (a city's figure on the county holding it) or its state (<state fips>000). Every figure is a
  cumulative snapshot from its period start (often the activation) to its as-of date, NOT a
  fiscal-year flow: do not sum or difference figures, across places or dates.
#}
with

figures as (
    select * from {{ ref('stg_place_figures__typed') }}
    where quarantine_reason is null
),

final as (
    select
        md5(concat_ws('|', source_file, source_line)) as figure_id,
        jurisdiction_id,
        jurisdiction_name,
        state,
        place_published,
        place_kind,
        match_method,
        metric,
        measure,
        severity,
        unit,
        value_published,
        value_count,
        value_percent,
        qualifier,
        is_approximate,
        period_start,
        period_start_precision,
        period_end,
        period_end_precision,
        period_text,
        as_of_basis,
        'cumulative to period_end (a snapshot, not a fiscal-year flow)' as time_basis,
        quote,
        source_url,
        source_class,
        source_name,
        page_published,
        note,
        source_file,
        source_line
    from figures
)

select * from final
