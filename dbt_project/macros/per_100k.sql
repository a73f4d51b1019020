{# A count per 100,000 of a population: NULL when either is unknown or the population is 0. #}
{% macro per_100k(count_expr, population_expr) -%}
    {{ count_expr }} * 100000.0 / nullif({{ population_expr }}, 0)
{%- endmacro %}
