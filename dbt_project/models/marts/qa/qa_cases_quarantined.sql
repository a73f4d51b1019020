with

counts as (
    select * from {{ ref('int_case_removals_by_severity') }}
),

final as (
    select
        case
            when jurisdiction_id is null then quarantine_reason
            else 'Departed Date missing or unreadable'
        end as reason,
        cast(sum(n) as bigint) as rows
    from counts
    where jurisdiction_id is null or fiscal_year is null
    group by 1
)

select * from final
