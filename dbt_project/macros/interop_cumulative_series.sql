{#
  The cumulative count columns of the interoperability layout, in one place for every model
  that unpivots them (differencing by fiscal year, consecutive-report changes).
#}
{% macro interop_cumulative_series() -%}
    submissions,
    matches_l1, matches_l2, matches_l3, matches_nc, matches_total,
    removals_l1, removals_l2, removals_l3, removals_nc, removals_total
{%- endmacro %}
