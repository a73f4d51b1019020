{#
  A date published as precisely as its source wrote it: YYYY, YYYY-MM or YYYY-MM-DD (text).
  part = 'first' -> the first day it covers, 'last' -> the last day it covers, 'precision' ->
  'year' | 'month' | 'day'. NULL when the text is none of the three or not a real day.
#}
{% macro partial_date(column, part) -%}
    {%- if part == 'precision' -%}
    case
        when regexp_full_match({{ column }}, '[0-9]{4}-[0-9]{2}-[0-9]{2}') then 'day'
        when regexp_full_match({{ column }}, '[0-9]{4}-[0-9]{2}') then 'month'
        when regexp_full_match({{ column }}, '[0-9]{4}') then 'year'
    end
    {%- else -%}
    case
        when regexp_full_match({{ column }}, '[0-9]{4}-[0-9]{2}-[0-9]{2}')
            then try_cast({{ column }} as date)
        when regexp_full_match({{ column }}, '[0-9]{4}-[0-9]{2}')
            then {{ "try_cast(" ~ column ~ " || '-01' as date)" if part == 'first' else "last_day(try_cast(" ~ column ~ " || '-01' as date))" }}
        when regexp_full_match({{ column }}, '[0-9]{4}')
            then try_cast({{ column }} || {{ "'-01-01'" if part == 'first' else "'-12-31'" }} as date)
    end
    {%- endif %}
{%- endmacro %}
