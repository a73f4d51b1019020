{#
  Shares of the people a place's figures count, by severity, where the record allows one:
  * derived from published figures: a count of one severity (e.g. removals with no conviction)
    over the total of the same measure, both from the same page, place and period, with the
    Wilson 95% interval (the counts are what was published; only the division is ours);
  * a published percentage: the share as the page wrote it; its interval only when the same
    page gives the total count of that measure and period (else NULL: the size is not known).
  A pair whose part exceeds its total is not a share and is left out. Cumulative to period_end,
  not a fiscal-year flow.
#}
with

figures as (
    select * from {{ ref('mart_place_figures') }}
),

parts as (
    select * from figures where severity <> 'total'
),

totals as (
    select * from figures where severity = 'total' and unit = 'count'
),

paired as (
    select
        parts.*,
        totals.value_count as total_count,
        totals.is_approximate as total_is_approximate,
        totals.quote as total_quote,
        totals.source_line as total_source_line
    from parts
    left join totals
        on
            parts.jurisdiction_id = totals.jurisdiction_id
            and parts.place_published = totals.place_published
            and parts.measure = totals.measure
            and parts.source_url = totals.source_url
            and parts.period_start is not distinct from totals.period_start
            and parts.period_end = totals.period_end
),

shares as (
    select
        *,
        case
            when unit = 'count' then 'derived from published figures'
            else 'published percentage'
        end as basis,
        case
            when unit = 'count' then value_count / cast(total_count as double)
            else value_percent / 100.0
        end as share,
        case when unit = 'count' then value_count else value_percent / 100.0 * total_count end
            as successes
    from paired
    where
        (unit = 'count' and total_count > 0 and value_count <= total_count)
        or unit = 'percent'
),

final as (
    select
        md5(concat_ws('|', source_file, source_line, total_source_line)) as share_id,
        jurisdiction_id,
        jurisdiction_name,
        state,
        place_published,
        measure,
        severity,
        share,
        {{ wilson_interval('successes', 'total_count', 'low') }} as share_low,
        {{ wilson_interval('successes', 'total_count', 'high') }} as share_high,
        case when unit = 'count' then value_count end as numerator,
        total_count as denominator,
        value_published,
        basis,
        is_approximate or coalesce(total_is_approximate, false) as is_approximate,
        period_start,
        period_end,
        period_end_precision,
        period_text,
        as_of_basis,
        time_basis,
        quote,
        total_quote,
        source_url,
        source_name,
        source_class,
        source_line,
        total_source_line
    from shares
)

select * from final
