{#
  US federal fiscal year of a date: FY N runs 1 October N-1 through 30 September N.
#}
{% macro fiscal_year(date_expr) -%}
    (year({{ date_expr }}) + case when month({{ date_expr }}) >= 10 then 1 else 0 end)
{%- endmacro %}
