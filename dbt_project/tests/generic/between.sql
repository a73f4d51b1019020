{#
  Every non-NULL value lies in [min_value, max_value] (shares in [0, 1], years in range).
#}
{% test between(model, column_name, min_value, max_value) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
