{#
  Share columns computed from the count columns of severity_counts(): referral_share_l1 …,
  removal_share_l1 …, minor_share_referrals, minor_share_removals, and the 95% Wilson interval of
  each minor share (minor_share_<measure>_low / _high). Always count / total, so rollups (which
  sum counts first) never average shares. A zero or unknown total gives NULL, not 0.
#}
{% macro severity_shares() -%}
    {%- for measure, singular in [('referrals', 'referral'), ('removals', 'removal')] %}
    {%- for level in ['l1', 'l2', 'l3', 'nc'] %}
    {{ measure }}_{{ level }} / nullif({{ measure }}_total, 0) as {{ singular }}_share_{{ level }},
    {%- endfor %}
    {{ measure }}_minor / nullif({{ measure }}_total, 0) as minor_share_{{ measure }},
    {{ wilson_interval(measure ~ '_minor', measure ~ '_total', 'low') }}
        as minor_share_{{ measure }}_low,
    {{ wilson_interval(measure ~ '_minor', measure ~ '_total', 'high') }}
        as minor_share_{{ measure }}_high{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
