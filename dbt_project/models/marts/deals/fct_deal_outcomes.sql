{#- Win rate and sales cycle per period and slice (docs/metrics.md section 7): the deals won and lost in a
    period, win rate = won / (won + lost), and the median and mean sales cycle of the deals won in it.
    Every period of the calendar has a row for every slice value that ever closed a deal (NULL win rate
    when none closed in it); grain `all` (period_start NULL) covers all time, undated closes included. -#}

with closed as (
    select * from {{ ref('int_deals') }}
    where outcome in ('won', 'lost')
),

sliced as (
    select
        'all' as slice_type,
        'all' as slice_value,
        closed.*
    from closed
    union all
    select
        'team',
        coalesce(owner_team, 'unknown'),
        closed.*
    from closed
    union all
    select
        'employee',
        coalesce(owner_id, 'unknown'),
        closed.*
    from closed
),

periods as (
    {{ calendar_periods() }}
    union all
    select
        'all',
        cast(null as date)
),

slices as (
    select distinct
        slice_type,
        slice_value
    from sliced
),

in_periods as (
    {{ in_each_period('sliced', 'sliced.closed_on') }}
),

counted as (
    select
        period_grain,
        period_start,
        slice_type,
        slice_value,
        {{ count_where("outcome = 'won'") }} as won,
        {{ count_where("outcome = 'lost'") }} as lost,
        {{ percentile("case when outcome = 'won' then sales_cycle_days end", 0.5) }} as sales_cycle_median_days,
        {{ exact_mean("case when outcome = 'won' then sales_cycle_days end") }} as sales_cycle_mean_days
    from in_periods
    group by period_grain, period_start, slice_type, slice_value
)

select
    periods.period_grain,
    periods.period_start,
    slices.slice_type,
    slices.slice_value,
    coalesce(counted.won, 0) as won,
    coalesce(counted.lost, 0) as lost,
    {{ safe_divide('counted.won', 'counted.won + counted.lost') }} as win_rate,
    counted.sales_cycle_median_days,
    counted.sales_cycle_mean_days
from periods
cross join slices
left join counted
    on periods.period_grain = counted.period_grain
        and {{ same_period_start('counted.period_start', 'periods.period_start') }}
        and slices.slice_type = counted.slice_type
        and slices.slice_value = counted.slice_value
