{#- Time in stage (docs/metrics.md section 7): of the stays that began in a period, the closed ones' median
    and 90th percentile hours, and how many are still open. Grain `all` covers all time. -#}

with stays as (
    select * from {{ ref('int_stage_stays') }}
),

in_periods as (
    {{ in_each_period('stays', 'stays.entered_on') }}
)

select
    period_grain,
    period_start,
    stage,
    min(stage_order) as stage_order,
    {{ count_where('not is_open') }} as closed_stays,
    {{ percentile('stay_hours', 0.5) }} as median_hours,
    {{ percentile('stay_hours', 0.9) }} as p90_hours,
    {{ count_where('is_open') }} as open_stays
from in_periods
group by period_grain, period_start, stage
