{#
  The US federal fiscal-year rule, in one place: FY N runs 1 October N-1 through 30 September N.
  (The range of fiscal years the project accepts is in dbt_project.yml: vars first_fiscal_year and
  last_fiscal_year.)
#}

{# The fiscal year of a date. #}
{% macro fiscal_year(date_expr) -%}
    (year({{ date_expr }}) + case when month({{ date_expr }}) >= 10 then 1 else 0 end)
{%- endmacro %}

{# The first day of fiscal year fy_expr (an integer expression): 1 October of the year before. #}
{% macro fiscal_year_start(fy_expr) -%}
    make_date(({{ fy_expr }}) - 1, 10, 1)
{%- endmacro %}

{# The last day of fiscal year fy_expr (an integer expression): 30 September. #}
{% macro fiscal_year_end(fy_expr) -%}
    make_date({{ fy_expr }}, 9, 30)
{%- endmacro %}

{#
  Months of fiscal year fy_expr in which a program activated on date_expr was active for at least
  one day: 12 when activated on or before the year's first day, 0 when after its last day, NULL
  when there is no activation date.
#}
{% macro months_active_in_fiscal_year(date_expr, fy_expr) -%}
    case
        when {{ date_expr }} is null then null
        when {{ date_expr }} <= {{ fiscal_year_start(fy_expr) }} then 12
        when {{ date_expr }} > {{ fiscal_year_end(fy_expr) }} then 0
        else date_diff('month', date_trunc('month', {{ date_expr }}),
                       {{ fiscal_year_end(fy_expr) }}) + 1
    end
{%- endmacro %}
