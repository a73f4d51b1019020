{#
  Use a folder's custom schema name as-is (staging, intermediate, marts, reference) instead of
  dbt's default "<target schema>_<custom>", so SQL users see the names the README documents.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
