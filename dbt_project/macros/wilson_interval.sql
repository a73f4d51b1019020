{#
  Wilson score interval for a proportion `successes / total` at confidence z (default 95%):
  bound = 'low' or 'high'. Unlike the normal approximation it stays inside [0, 1] and behaves at
  small counts, which is why dashboards can show it next to a share of 3 out of 7.
    center = (p + z^2 / 2n) / (1 + z^2 / n)
    half   = z * sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2 / n)
  NULL when total is 0 or unknown (a share over nothing is unknown, never 0 or 1: DuckDB's
  greatest/least skip NULLs, hence the explicit case). Clamped to [0, 1] against floating-point
  dust at p = 0 or 1.
#}
{% macro wilson_interval(successes, total, bound, z=1.959963984540054) -%}
    {%- set n = 'cast(' ~ total ~ ' as double)' -%}
    {%- set p = '(' ~ successes ~ ' / nullif(' ~ n ~ ', 0))' -%}
    {%- set z2 = z * z -%}
    case when {{ p }} is not null then
    {{ 'greatest(0.0, ' if bound == 'low' else 'least(1.0, ' }}(
        ({{ p }} + {{ z2 }} / (2 * {{ n }}))
        {{ '-' if bound == 'low' else '+' }}
        {{ z }} * sqrt({{ p }} * (1 - {{ p }}) / {{ n }} + {{ z2 }} / (4 * {{ n }} * {{ n }}))
    ) / (1 + {{ z2 }} / {{ n }}))
    end
{%- endmacro %}
