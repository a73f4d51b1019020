{#
  Kind of county equivalent from its Census name suffix (the same rule as
  orchestration/jurisdictions.py kind_of, for names that did not come through it).
#}
{% macro jurisdiction_kind(name) -%}
    case
        when lower({{ name }}) like '% city and borough' then 'city and borough'
        when lower({{ name }}) like '% county' then 'county'
        when lower({{ name }}) like '% parish' then 'parish'
        when lower({{ name }}) like '% borough' then 'borough'
        when lower({{ name }}) like '% census area' then 'census area'
        when lower({{ name }}) like '% municipality' then 'municipality'
        when lower({{ name }}) like '% municipio' then 'municipio'
        when lower({{ name }}) like '% city' then 'independent city'
        else 'county'
    end
{%- endmacro %}
