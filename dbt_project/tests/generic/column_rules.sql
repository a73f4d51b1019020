{#
  The rules of one model, checked in one query (one scan of the model, one dbt node): a test
  per column and rule made the run's dbt tests 264 nodes, most of a full run's dbt time and
  one Dagster check each. Returns one row per broken rule and offending row, saying which
  column, which rule and the value, e.g. `fiscal_year = 2040 is outside [2003, 2035]` or
  `(jurisdiction_id, fiscal_year) = (25025, 2012) occurs 2 times` (each of the 2 rows). NULL
  passes every column rule but not_null (as dbt's own accepted_values and our between); in a
  key, NULLs are equal (as in GROUP BY).

    - column_rules:
        arguments:
          not_null: [jurisdiction_id, fiscal_year]
          five_digit_fips: [jurisdiction_id]          # 5-digit FIPS text (state 2 + county 3)
          between:                                    # inclusive bounds
            - {columns: [minor_share], min_value: 0, max_value: 1}
          accepted_values:
            - {column: measure, values: [referrals, removals]}
          unique:                                     # keys: no two rows share their values
            - [jurisdiction_id, fiscal_year]          # (NULLs compare equal, as in GROUP BY)
            - {columns: [report_through], where: "jurisdiction_id is not null"}  # among some rows
#}
{% test column_rules(model, not_null=[], five_digit_fips=[], between=[], accepted_values=[], unique=[]) %}
{%- set rules = [] -%}
{%- set counts = [] -%}
{%- for key in unique -%}
  {%- if key is string -%}
    {{ exceptions.raise_compiler_error("column_rules on " ~ model ~ ": a unique key is a list of columns, got " ~ key) }}
  {%- endif -%}
  {%- set columns = key["columns"] if key is mapping else key -%}
  {%- set where = key.get("where") if key is mapping else none -%}
  {%- set shown = [] -%}
  {%- for column in columns -%}
    {%- do shown.append("coalesce(cast(" ~ column ~ " as varchar), 'NULL')") -%}
  {%- endfor -%}
  {%- set among = ("case when " ~ where ~ " then 1 end") if where else "1" -%}
  {%- do counts.append("count(" ~ among ~ ") over (partition by " ~ columns | join(", ") ~ ") as key_count_" ~ loop.index) -%}
  {%- do rules.append(
      "case when " ~ (("(" ~ where ~ ") and ") if where else "") ~ "key_count_" ~ loop.index ~ " > 1"
      ~ " then '(" ~ columns | join(", ") ~ ") = (' || " ~ shown | join(" || ', ' || ")
      ~ " || ') occurs ' || key_count_" ~ loop.index ~ " || ' times' end") -%}
{%- endfor -%}
{%- for column in not_null -%}
  {%- do rules.append("case when " ~ column ~ " is null then '" ~ column ~ " is NULL' end") -%}
{%- endfor -%}
{%- for column in five_digit_fips -%}
  {%- do rules.append(
      "case when " ~ column ~ " is not null and not regexp_full_match(" ~ column ~ ", '[0-9]{5}')"
      ~ " then '" ~ column ~ " = ''' || " ~ column ~ " || ''' is not five digits' end") -%}
{%- endfor -%}
{%- for range in between -%}
  {%- for column in range["columns"] -%}
    {%- do rules.append(
        "case when " ~ column ~ " < " ~ range["min_value"] ~ " or " ~ column ~ " > " ~ range["max_value"]
        ~ " then '" ~ column ~ " = ' || cast(" ~ column ~ " as varchar) || ' is outside ["
        ~ range["min_value"] ~ ", " ~ range["max_value"] ~ "]' end") -%}
  {%- endfor -%}
{%- endfor -%}
{%- for accepted in accepted_values -%}
  {%- set quoted = [] -%}
  {%- for value in accepted["values"] -%}
    {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
  {%- endfor -%}
  {%- do rules.append(
      "case when " ~ accepted["column"] ~ " is not null and cast(" ~ accepted["column"] ~ " as varchar)"
      ~ " not in (" ~ quoted | join(", ") ~ ") then '" ~ accepted["column"] ~ " = ''' || cast("
      ~ accepted["column"] ~ " as varchar) || ''' is not one of the accepted values' end") -%}
{%- endfor -%}
{%- if not rules -%}
  {{ exceptions.raise_compiler_error("column_rules on " ~ model ~ ": no rule given") }}
{%- endif %}
with counted as (
    select *{% for count in counts %}, {{ count }}{% endfor %}
    from {{ model }}
),

checked as (
    select
    {%- for rule in rules %}
        {{ rule }} as rule_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from counted
)

select broken_rule
from checked
unpivot (broken_rule for rule in (
    {%- for rule in rules %}rule_{{ loop.index }}{{ ", " if not loop.last }}{% endfor -%}
))
{% endtest %}
