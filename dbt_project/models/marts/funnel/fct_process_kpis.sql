{#- The three KPIs of every process per period and slice (metrics.md section 3): effectiveness
    (results), efficiency (results / inputs), cohort conversion, productivity per participant and per
    FTE, and time to result. One row per process, grain, period and slice with at least one event. -#}

with processes as (
    select * from {{ ref('process_chain') }}
),

as_of as (
    select as_of_date from {{ ref('int_as_of') }}
),

counts as (
    select
        process,
        period_grain,
        period_start,
        slice_type,
        slice_value,
        {{ count_where("event_role = 'attempt'") }} as attempts,
        {{ count_where("event_role = 'input'") }} as inputs,
        {{ count_where("event_role = 'result'") }} as results,
        {{ count_where("event_role = 'input' and is_converted") }} as cohort_conversions,
        count(distinct case when event_role in ('input', 'result') then employee_id end) as participants,
        {{ percentile('case when is_converted then hours_to_result end', 0.5) }} as median_hours_to_result,
        {{ percentile('case when is_converted then hours_to_result end', 0.9) }} as p90_hours_to_result
    from {{ ref('int_process_events_sliced') }}
    group by process, period_grain, period_start, slice_type, slice_value
),

periods as (
    select
        counts.*,
        {{ period_end('period_grain', 'period_start') }} as period_end
    from counts
),

{#- The roster of each process's role, as the slices it counts in (all, its team, itself). -#}
roster as (
    select processes.process, employees.employee_id, employees.team, employees.hired_on, employees.left_on
    from {{ ref('stg_employees') }} as employees
    inner join processes on processes.participant_role = employees.role
),

roster_slices as (
    select process, 'all' as slice_type, 'all' as slice_value, hired_on, left_on from roster
    union all
    select process, 'team', coalesce(team, 'unknown'), hired_on, left_on from roster
    union all
    select process, 'employee', employee_id, hired_on, left_on from roster
),

{#- FTE(P) = employed days in P of each employee with the role, summed, over the days in P. -#}
fte as (
    select
        periods.process,
        periods.period_grain,
        periods.period_start,
        periods.slice_type,
        periods.slice_value,
        sum(
            greatest(0, {{ dbt.datediff(
                'greatest(periods.period_start, coalesce(roster_slices.hired_on, periods.period_start))',
                'least(periods.period_end, coalesce(roster_slices.left_on, periods.period_end))',
                'day') }})
        ) as employed_days
    from periods
    inner join roster_slices
        on roster_slices.process = periods.process
        and roster_slices.slice_type = periods.slice_type
        and roster_slices.slice_value = periods.slice_value
    group by periods.process, periods.period_grain, periods.period_start, periods.slice_type, periods.slice_value
),

final as (
    select
        periods.process,
        periods.period_grain,
        periods.period_start,
        periods.slice_type,
        periods.slice_value,
        periods.inputs,
        periods.results,
        {{ safe_divide('periods.results', 'periods.inputs') }} as efficiency,
        periods.cohort_conversions,
        {{ safe_divide('periods.cohort_conversions', 'periods.inputs') }} as cohort_share,
        processes.window_days as cohort_window_days,
        cast({{ dbt.dateadd('day', 'processes.window_days - 1', 'periods.period_end') }} as date)
            > as_of.as_of_date as cohort_open,
        periods.participants,
        {{ safe_divide('periods.results', 'periods.participants') }} as productivity,
        {{ safe_divide('fte.employed_days', dbt.datediff('periods.period_start', 'periods.period_end', 'day')) }} as fte,
        periods.median_hours_to_result,
        periods.p90_hours_to_result,
        case when processes.attempt_event is not null then periods.attempts end as dials
    from periods
    inner join processes on processes.process = periods.process
    cross join as_of
    left join fte
        on fte.process = periods.process
        and fte.period_grain = periods.period_grain
        and fte.period_start = periods.period_start
        and fte.slice_type = periods.slice_type
        and fte.slice_value = periods.slice_value
)

select
    process,
    period_grain,
    period_start,
    slice_type,
    slice_value,
    inputs,
    results,
    efficiency,
    cohort_conversions,
    cohort_share,
    cohort_window_days,
    cohort_open,
    participants,
    productivity,
    fte,
    {{ safe_divide('results', 'fte') }} as productivity_fte,
    median_hours_to_result,
    p90_hours_to_result,
    dials,
    {{ safe_divide('inputs', 'dials') }} as reach_rate
from final
