{#
  Share columns computed from the count columns of severity_counts(): referral_share_l1 …,
  removal_share_l1 …, minor_share_referrals, minor_share_removals. Always count / total, so rollups
  (which sum counts first) never average shares. A zero or unknown total gives NULL, not 0.
#}
{% macro severity_shares() -%}
    {%- for measure, singular in [('referrals', 'referral'), ('removals', 'removal')] %}
    {%- for level in ['l1', 'l2', 'l3', 'nc'] %}
    {{ measure }}_{{ level }} / nullif({{ measure }}_total, 0) as {{ singular }}_share_{{ level }},
    {%- endfor %}
    {{ measure }}_minor / nullif({{ measure }}_total, 0) as minor_share_{{ measure }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
