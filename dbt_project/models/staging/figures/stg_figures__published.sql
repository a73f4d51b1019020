{#
  Published figures, typed. A period is usable when its end is a date (a blank start means
  "since activation"); a row whose period cannot be read is kept with the reason
  (qa_figures_quarantined), never dropped or guessed.
#}
with

source as (
    select * from {{ source('raw', 'published_figures') }}
),

typed as (
    select
        scope,
        metric,
        cast(value as bigint) as value,
        period_start as period_start_published,
        period_end as period_end_published,
        try_cast(period_start as date) as period_start,
        try_cast(period_end as date) as period_end,
        note,
        source_url,
        source_kind,
        _source_file as source_file,
        _source_line as source_line
    from source
),

final as (
    select
        *,
        case
            when period_end is null
                then 'period end is not a date: ' || coalesce(period_end_published, 'blank')
            when period_start_published is not null and period_start is null
                then 'period start is not a date: ' || period_start_published
            when period_start > period_end then 'period starts after it ends'
        end as quarantine_reason,
        case
            when starts_with(lower(source_kind), 'secondary') then 'report quoting the agency'
            when lower(source_kind) = 'derived' then 'derived from agency figures'
            when regexp_matches(source_kind, '^(DHS|ICE)\b') then 'agency'
            else 'report quoting the agency'
        end as source_class,
        coalesce(
            regexp_matches(note, '(?i)(rounded|more than|^\s*>|about|approx|~)'), false
        ) as is_approximate,
        case
            when starts_with(scope, 'ICE-wide') then 'all ICE removals'
            else 'Secure Communities'
        end as program,
        case
            when starts_with(scope, 'SC state') then 'state'
            when starts_with(scope, 'SC county') then 'county'
            else 'national'
        end as geography,
        nullif(regexp_extract(scope, '^SC state ([A-Z]{2})\b', 1), '') as state,
        case
            when
                period_start = {{ fiscal_year_start(fiscal_year('period_end')) }}
                and period_end = {{ fiscal_year_end(fiscal_year('period_end')) }}
                then {{ fiscal_year('period_end') }}
        end as fiscal_year
    from typed
)

select * from final
