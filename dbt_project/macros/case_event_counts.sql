{#
  Counts and shares of case events (int_case_events_classified) for one group of a mart.
  Severity counts use only the records of layouts x fiscal years that recorded convictions;
  where none did (events_with_conviction_coverage = 0) they and the shares are NULL, unknown,
  never 100 % "no conviction". minor_share = (minor + no conviction) / covered events, as the
  minor share of the statistics is (L3 + NC) / total; 95 % Wilson intervals beside each share.
#}
{% macro case_event_counts() -%}
    cast(sum(n) as bigint) as events,
    cast(coalesce(sum(n) filter (where not convictions_recorded), 0) as bigint)
        as events_convictions_not_recorded,
    cast(coalesce(sum(n) filter (where convictions_recorded), 0) as bigint)
        as events_with_conviction_coverage,
    {%- for cls in ['serious', 'other', 'minor'] %}
    case when bool_or(convictions_recorded) then
        cast(coalesce(sum(n) filter (where convictions_recorded and severity_class = '{{ cls }}'), 0) as bigint)
    end as events_{{ cls }},
    {%- endfor %}
    case when bool_or(convictions_recorded) then
        cast(coalesce(sum(n) filter (where convictions_recorded and severity_class = 'none'), 0) as bigint)
    end as no_conviction_recorded
{%- endmacro %}

{% macro case_event_shares() -%}
    events_convictions_not_recorded = 0 as convictions_recorded,
    no_conviction_recorded / nullif(events_with_conviction_coverage, 0) as no_conviction_share,
    {%- for bound in ['low', 'high'] %}
    {{ wilson_interval('no_conviction_recorded', 'events_with_conviction_coverage', bound) }}
        as no_conviction_share_{{ bound }},
    {%- endfor %}
    (events_minor + no_conviction_recorded) / nullif(events_with_conviction_coverage, 0)
        as minor_share,
    {%- for bound in ['low', 'high'] %}
    {{ wilson_interval('(events_minor + no_conviction_recorded)', 'events_with_conviction_coverage', bound) }}
        as minor_share_{{ bound }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
