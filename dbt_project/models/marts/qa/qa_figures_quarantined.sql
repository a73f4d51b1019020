{# Published figures whose period could not be read: kept with the reason, never dropped. #}
with

figures as (
    select * from {{ ref('stg_figures__published') }}
),

final as (
    select
        scope,
        metric,
        value,
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
