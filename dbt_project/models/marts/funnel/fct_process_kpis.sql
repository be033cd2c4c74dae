{#- The three KPIs of every process per period and slice (docs/metrics.md section 3): effectiveness
    (results), efficiency (results / inputs), cohort conversion, productivity per participant and per
    FTE, and time to result. One row per process, grain, period and slice with at least one event.
    The measures of the events come from int_process_kpi_periods (incremental); the ratios, the FTE of
    the roster and the as-of date's open cohorts are derived here each run, over its rows. -#}

with processes as (
    select * from {{ ref('process_chain') }}
),

as_of as (
    select as_of_date from {{ ref('int_as_of') }}
),

periods as (
    select * from {{ ref('int_process_kpi_periods') }}
),

{# The roster of each process's role, as the slices it counts in (all, its team, itself). -#}
roster as (
    select
        processes.process,
        employees.employee_id,
        employees.team,
        employees.hired_on,
        employees.left_on
    from {{ ref('stg_employees') }} as employees
    inner join processes on employees.role = processes.participant_role
),

roster_slices as (
    select
        process,
        'all' as slice_type,
        'all' as slice_value,
        hired_on,
        left_on
    from roster
    union all
    select
        process,
        'team',
        coalesce(team, 'unknown'),
        hired_on,
        left_on
    from roster
    union all
    select
        process,
        'employee',
        employee_id,
        hired_on,
        left_on
    from roster
),

{# FTE(P) = employed days in P of each employee with the role, summed, over the days in P. -#}
fte as (
    select
        periods.process,
        periods.period_grain,
        periods.period_start,
        periods.slice_type,
        periods.slice_value,
        sum(
            greatest(0, {{ days_between(
                'greatest(periods.period_start, coalesce(roster_slices.hired_on, periods.period_start))',
                'least(periods.period_end, coalesce(roster_slices.left_on, periods.period_end))') }})
        ) as employed_days
    from periods
    inner join roster_slices
        on periods.process = roster_slices.process
            and periods.slice_type = roster_slices.slice_type
            and periods.slice_value = roster_slices.slice_value
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
        {{ safe_divide('fte.employed_days', days_between('periods.period_start', 'periods.period_end')) }} as fte,
        periods.median_hours_to_result,
        periods.p90_hours_to_result,
        case when processes.attempt_event is not null then periods.attempts end as dials
    from periods
    inner join processes on periods.process = processes.process
    cross join as_of
    left join fte
        on periods.process = fte.process
            and periods.period_grain = fte.period_grain
            and periods.period_start = fte.period_start
            and periods.slice_type = fte.slice_type
            and periods.slice_value = fte.slice_value
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
