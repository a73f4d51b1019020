{{ config(meta={"dagster": {"ref": {"name": "fct_referrals_by_severity"}}}) }}
-- Where a measure's four level shares are all defined, they sum to 1 within 1e-9, in the long fact
-- and in each wide mart. Returns the offending rows.
with

fact_sums as (
    select
        'fct_referrals_by_severity' as model,
        jurisdiction_id || ' FY' || fiscal_year || ' ' || measure || ' ' || source as row_key,
        sum(share) as share_sum
    from {{ ref('fct_referrals_by_severity') }}
    group by jurisdiction_id, fiscal_year, measure, source
    having count(share) = 4
),

{% for model, key in [('mart_jurisdiction_year', "jurisdiction_id || ' FY' || fiscal_year"),
                      ('mart_state_year', "state || ' FY' || fiscal_year"),
                      ('mart_national_year', "'FY' || fiscal_year")] %}
{{ model }}_sums as (
    {% for singular in ['referral', 'removal'] %}
    select
        '{{ model }}' as model,
        {{ key }} || ' {{ singular }}' as row_key,
        {{ singular }}_share_l1 + {{ singular }}_share_l2
        + {{ singular }}_share_l3 + {{ singular }}_share_nc as share_sum
    from {{ ref(model) }}
    where {{ singular }}_share_l1 is not null and {{ singular }}_share_l2 is not null
        and {{ singular }}_share_l3 is not null and {{ singular }}_share_nc is not null
    {{ 'union all' if not loop.last }}
    {% endfor %}
),
{% endfor %}

all_sums as (
    select * from fact_sums
    union all
    select * from mart_jurisdiction_year_sums
    union all
    select * from mart_state_year_sums
    union all
    select * from mart_national_year_sums
)

select * from all_sums
where abs(share_sum - 1) > 1e-9
