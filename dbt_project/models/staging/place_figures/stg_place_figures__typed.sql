{#
  One row per compiled place figure, typed, with the reason it is quarantined (NULL when it is
  usable). Nothing is guessed: the value is parsed only when it is a number as written ("1,234",
  "52%", "52 percent"), a percentage is kept apart from a count, a period is typed only when it
  is YYYY, YYYY-MM or YYYY-MM-DD (its precision kept), and a place is placed only by the
  pipeline's normalizer (raw.place_figure_matches). Figures are cumulative snapshots to their
  as-of date, not fiscal-year flows: nothing here sums or differences them.
#}
with

source as (
    select * from {{ source('raw', 'place_figures') }}
),

matches as (
    select * from {{ source('raw', 'place_figure_matches') }}
),

metrics as (
    select * from {{ ref('place_figure_metrics') }}
),

joined as (
    select
        source.*,
        matches.jurisdiction_id,
        matches.jurisdiction_name,
        matches.match_method,
        matches.quarantine_reason as place_reason,
        metrics.measure,
        metrics.severity
    from source
    left join matches
        on
            source.state is not distinct from matches.published_state
            and (source.place_kind || '|' || source.place) is not distinct from matches.published_key
    left join metrics on source.metric = metrics.metric
),

parsed as (
    select
        *,
        regexp_matches(
            coalesce(value, ''),
            '^\s*[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?\s*(%|\s?percent)?\s*$|^\s*[0-9]+(\.[0-9]+)?\s*(%|\s?percent)?\s*$'
        ) as value_is_number,
        regexp_matches(coalesce(value, ''), '(%|percent)') as is_percent,
        try_cast(
            replace(regexp_extract(coalesce(value, ''), '([0-9][0-9,]*(\.[0-9]+)?)', 1), ',', '')
            as double
        ) as number_written,
        {{ partial_date('period_start', 'first') }} as period_start_date,
        {{ partial_date('period_start', 'precision') }} as period_start_precision,
        {{ partial_date('period_end', 'last') }} as period_end_date,
        {{ partial_date('period_end', 'precision') }} as period_end_precision,
        row_number() over (
            partition by
                place, state, place_kind, period_start, period_end, metric, value, source_url
            order by _source_line
        ) as copy_number,
        min(_source_line) over (
            partition by
                place, state, place_kind, period_start, period_end, metric, value, source_url
        ) as first_line
    from joined
),

final as (
    select
        place as place_published,
        state,
        place_kind,
        jurisdiction_id,
        jurisdiction_name,
        match_method,
        metric,
        measure,
        severity,
        value as value_published,
        case when value_is_number and is_percent then 'percent' when value_is_number then 'count' end
            as unit,
        case when value_is_number and not is_percent then cast(number_written as bigint) end
            as value_count,
        case when value_is_number and is_percent then number_written end as value_percent,
        coalesce(qualifier, 'exact') as qualifier,
        coalesce(qualifier, 'exact') <> 'exact' as is_approximate,
        period_start as period_start_published,
        period_end as period_end_published,
        period_start_date as period_start,
        period_start_precision,
        period_end_date as period_end,
        period_end_precision,
        period_text,
        coalesce(as_of_basis, 'stated') as as_of_basis,
        quote,
        source_url,
        case when source_kind = 'agency' then 'agency' else 'report quoting the agency' end
            as source_class,
        source_name,
        published as page_published,
        note,
        _source_file as source_file,
        _source_line as source_line,
        case
            when place_reason is not null then 'place: ' || place_reason
            when measure is null then 'metric: ' || coalesce(metric, 'blank') || ' is not in seeds/place_figure_metrics.csv'
            when not value_is_number
                then 'value: ' || coalesce('''' || value || '''', 'blank') || ' is not a number as written'
            when is_percent and number_written > 100
                then 'value: ' || value || ' is a percentage over 100'
            when not is_percent and number_written <> floor(number_written)
                then 'value: ' || value || ' is a count that is not a whole number'
            when period_end is null then 'period_end: blank (a figure needs its as-of date)'
            when period_end_date is null
                then 'period_end: ''' || period_end || ''' is not YYYY, YYYY-MM or YYYY-MM-DD'
            when period_start is not null and period_start_date is null
                then 'period_start: ''' || period_start || ''' is not YYYY, YYYY-MM or YYYY-MM-DD'
            when period_end_date < cast('{{ var("program_first_day") }}' as date)
                then 'period_end: ' || period_end || ' is before Secure Communities began ({{ var("program_first_day") }})'
            when {{ partial_date('period_end', 'first') }} > current_date
                then 'period_end: ' || period_end || ' is in the future'
            when period_start_date > period_end_date
                then 'period_start: ' || period_start || ' is after period_end ' || period_end
            when copy_number > 1
                then 'duplicate: the same figure as line ' || first_line
        end as quarantine_reason
    from parsed
)

select * from final
