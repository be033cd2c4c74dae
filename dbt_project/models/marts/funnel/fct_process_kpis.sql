{#- The three KPIs of every process per period and slice (docs/metrics.md section 3): effectiveness
    (results), efficiency (results / inputs), cohort conversion, productivity per participant and per
    FTE, and time to result. One row per process, grain, period and slice with at least one event.

    Every event counts in 24 (grain x slice) groups. Copying each event 24 times and grouping the copies
    cost 34 s at 10M calls, grouping the events once per grain x slice (GROUPING SETS of 24) 68 s under
    the 3 GB cap. So the events are grouped by day only, per slice (8 sets), and weeks and months are
    rolled up from the days: counts add up; participants are counted from the distinct (day, slice,
    employee) rows, far fewer than events. Cohort conversions and percentiles read the converted
    inputs only, and the events are not joined to the cohorts at all. GROUPING SETS is SQL:1999 (DuckDB,
    Spark, Trino, Postgres); `noqa: PRS` where it is used, as sqlfluff's DuckDB grammar lacks it.
    Events whose team or segment is unknown count under `unknown`, so the slices of a type add up to
    `all`; `region_tier` crosses two segments (`Moscow | A`) for the report's heatmap. -#}
{%- set grains = {'day': 'occurred_on', 'week': 'week_start', 'month': 'month_start'} -%}
{%- set slices = var('kpi_slices') -%}
{%- set period_columns = grains.values() | list -%}
{%- set group_columns = ['process'] + period_columns + slices -%}
{%- set daily_columns = ['process', 'occurred_on'] + slices -%}

{%- set daily_keys = [['occurred_on']] -%}
{#- Each grain's period as an expression of the day, for the roll-up (the first is the day itself). -#}
{%- set periods = {
    'occurred_on': 'occurred_on',
    'week_start': 'cast(' ~ dbt.date_trunc('week', 'occurred_on') ~ ' as date)',
    'month_start': 'cast(' ~ dbt.date_trunc('month', 'occurred_on') ~ ' as date)'} -%}
{%- set every_grain_keys = [['occurred_on'], ['week_start'], ['month_start']] -%}

{#- The grouping set of a row is told by which of its columns are not NULL (a grouped-away column is). -#}
{%- set labels -%}
    case {% for grain, column in grains.items() %}when {{ column }} is not null then '{{ grain }}' {% endfor %}end
            as period_grain,
        coalesce({{ grains.values() | join(', ') }}) as period_start,
        case {% for slice in slices %}when {{ slice }} is not null then '{{ slice }}' {% endfor %}else 'all' end
            as slice_type,
        coalesce({{ slices | join(', ') }}, 'all') as slice_value
{%- endset -%}

with processes as (
    select * from {{ ref('process_chain') }}
),

as_of as (
    select as_of_date from {{ ref('int_as_of') }}
),

events as (
    select
        process_events.process,
        process_events.event_role,
        process_events.event_id,
        process_events.employee_id,
        process_events.occurred_on,
        cast({{ dbt.date_trunc('week', 'process_events.occurred_on') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'process_events.occurred_on') }} as date) as month_start,
        coalesce(employees.team, 'unknown') as team,
        coalesce(process_events.employee_id, 'unknown') as employee,
        coalesce(clients.client_type, 'unknown') as client_type,
        coalesce(clients.region, 'unknown') as region,
        coalesce(clients.industry, 'unknown') as industry,
        coalesce(clients.revenue_tier, 'unknown') as revenue_tier,
        {{ dbt.concat(["coalesce(clients.region, 'unknown')", "' | '", "coalesce(clients.revenue_tier, 'unknown')"]) }}
            as region_tier
    from {{ ref('int_process_events') }} as process_events
    left join {{ ref('stg_employees') }} as employees on process_events.employee_id = employees.employee_id
    left join {{ ref('stg_clients') }} as clients on process_events.client_id = clients.client_id
),

{# The inputs that reached the result within the window, with the hours it took. -#}
conversions as (
    select
        events.*,
        cohorts.hours_to_result
    from {{ ref('int_process_cohorts') }} as cohorts
    inner join events
        on cohorts.process = events.process
            and cohorts.event_id = events.event_id
            and events.event_role = 'input'
    where cohorts.is_converted
),

daily_counts as (
    {#- The conversions are grouped apart (the union of all events and them grouped 2x slower); the
        roll-up adds the two kinds of rows of a day up. -#}
    select
        {{ daily_columns | join(', ') }},
        {{ count_where("event_role = 'attempt'") }} as attempts,
        {{ count_where("event_role = 'input'") }} as inputs,
        {{ count_where("event_role = 'result'") }} as results,
        0 as cohort_conversions
    from events
    group by {{ slice_grouping_sets(daily_keys, slices) }}  -- noqa: PRS
    union all  -- noqa: PRS
    select
        {{ daily_columns | join(', ') }},
        0,
        0,
        0,
        count(*)
    from conversions
    group by {{ slice_grouping_sets(daily_keys, slices) }}  -- noqa: PRS
),

counts as (
    {%- set sums = {} %}
    {%- for measure in ['attempts', 'inputs', 'results', 'cohort_conversions'] %}
        {%- do sums.update({measure: 'cast(sum(' ~ measure ~ ') as ' ~ dbt.type_bigint() ~ ')'}) %}
    {%- endfor %}
    {{ rolled_up_days('daily_counts', periods, slices, sums, sums) }}
),

{# Each employee once per day and slice where they had an input or a result. -#}
daily_participants as (
    select {{ daily_columns | join(', ') }}, employee_id
    from events
    where event_role in ('input', 'result') and employee_id is not null
    group by {{ slice_grouping_sets(daily_keys, slices, ['employee_id']) }}  -- noqa: PRS
),

participants as (
    {{ rolled_up_days('daily_participants', periods, slices, {'participants': 'count(*)'},
                      {'participants': 'count(distinct employee_id)'}) }}
),

times as (
    select
        {{ group_columns | join(', ') }},
        {{ percentile('hours_to_result', 0.5) }} as median_hours_to_result,
        {{ percentile('hours_to_result', 0.9) }} as p90_hours_to_result
    from conversions
    group by {{ slice_grouping_sets(every_grain_keys, slices) }}  -- noqa: PRS
),

counted as (
    select
        counts.*,
        {{ labels }}
    from counts
),

participated as (
    select
        participants.*,
        {{ labels }}
    from participants
),

timed as (
    select
        times.*,
        {{ labels }}
    from times
),

periods as (
    select
        counted.*,
        timed.median_hours_to_result,
        timed.p90_hours_to_result,
        coalesce(participated.participants, 0) as participants,
        {{ period_end('counted.period_grain', 'counted.period_start') }} as period_end
    from counted
    left join participated
        on counted.process = participated.process and counted.period_grain = participated.period_grain
            and counted.period_start = participated.period_start and counted.slice_type = participated.slice_type
            and counted.slice_value = participated.slice_value
    left join timed
        on counted.process = timed.process and counted.period_grain = timed.period_grain
            and counted.period_start = timed.period_start and counted.slice_type = timed.slice_type
            and counted.slice_value = timed.slice_value
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
