{#
  Aggregate columns that pivot long severity facts (measure, severity_level, n, is_minor) into the
  public count columns <measure>_total, <measure>_l1 … <measure>_nc and <measure>_minor, for
  measures referrals and removals. Used by every *_year mart so the columns mean one thing.

  total_from: 'reported'  -> the jurisdiction's reported total (measure_total), which can exist
                             when the level breakdown does not;
              'levels'    -> the sum of the level counts (rollups, which only take jurisdiction-
                             years whose four levels are all reported, so the two agree).
  The minor count is defined only when every minor level is reported.
#}
{% macro severity_counts(total_from) -%}
    {%- for measure in ['referrals', 'removals'] %}
    {% if total_from == 'reported' -%}
    max(measure_total) filter (where measure = '{{ measure }}') as {{ measure }}_total,
    {%- else -%}
    cast(sum(n) filter (where measure = '{{ measure }}') as bigint) as {{ measure }}_total,
    {%- endif %}
    {%- for level in ['L1', 'L2', 'L3', 'NC'] %}
    cast(sum(n) filter (
        where measure = '{{ measure }}' and severity_level = '{{ level }}'
    ) as bigint) as {{ measure }}_{{ level | lower }},
    {%- endfor %}
    case
        when count(n) filter (where measure = '{{ measure }}' and is_minor)
            = count(*) filter (where measure = '{{ measure }}' and is_minor)
            then cast(sum(n) filter (where measure = '{{ measure }}' and is_minor) as bigint)
    end as {{ measure }}_minor{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
