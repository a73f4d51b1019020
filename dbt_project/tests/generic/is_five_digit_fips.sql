{#
  Jurisdiction keys are 5-digit FIPS text with leading zeros (state 2 + county 3); NULL passes
  (pair with not_null where the key is required).
#}
{% test is_five_digit_fips(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and not regexp_full_match({{ column_name }}, '[0-9]{5}')
{% endtest %}
