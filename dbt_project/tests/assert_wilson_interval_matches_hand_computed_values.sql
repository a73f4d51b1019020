-- The 95% Wilson interval macro against values worked out by hand (z = 1.959964):
--   161 of 240: p = 0.670833; center = (p + z²/480) / (1 + z²/240) = 0.668142;
--               half = z·sqrt(p(1-p)/240 + z²/230400) / (1 + z²/240) = 0.059042
--               -> [0.609100, 0.727184]
--   0 of 10     -> [0, 0.277533];   10 of 10 -> [0.722467, 1];   3 of 7 -> [0.158220, 0.749542]
--   0 of 0      -> NULL (undefined)
with

-- The macro's columns live in mart_jurisdiction_year: the test is attached to that model.
anchor as (  -- noqa: ST03
    select 1 from {{ ref('mart_jurisdiction_year') }} limit 1  -- noqa: AM09
),

cases as (
    select * from (values
        (161, 240, 0.609100, 0.727184),
        (0, 10, 0.0, 0.277533),
        (10, 10, 0.722467, 1.0),
        (3, 7, 0.158220, 0.749542),
        (0, 0, null, null)
    ) as t (successes, total, expected_low, expected_high)  -- noqa: AL05
),

computed as (
    select
        *,
        {{ wilson_interval('successes', 'total', 'low') }} as low,
        {{ wilson_interval('successes', 'total', 'high') }} as high
    from cases
)

-- coalesce: a comparison with NULL is NULL, which `where not` would silently let pass
select * from computed
where not coalesce(
    (low is null and expected_low is null and high is null and expected_high is null)
    or (abs(low - expected_low) < 1e-6 and abs(high - expected_high) < 1e-6),
    false
)
