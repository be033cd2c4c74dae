{#- The three KPIs of every process per period and slice (docs/metrics.md section 3): effectiveness
    (results), efficiency (results / inputs), cohort conversion, productivity per participant and per
    FTE, and time to result. One row per process, grain, period and slice with at least one event.

    Every event counts in 24 (grain x slice) groups. Rather than copying each event 24 times and
    grouping the copies (that cost 34 s at 10M calls), each measure is grouped once with GROUPING SETS,
    over the rows it needs: counts over the events, participants over the events' distinct employees
    and attributes (far fewer rows), percentiles over the converted inputs only. GROUPING SETS is
    SQL:1999 (DuckDB, Spark, Trino, Postgres); `noqa: PRS` where it is used, as sqlfluff's DuckDB grammar
    lacks it. Events whose team or segment is unknown count under `unknown`, so the slices of a type add
    up to `all`; `region_tier` crosses two segments (`Moscow | A`) for the report's heatmap. -#}
{%- set grains = {'day': 'occurred_on', 'week': 'week_start', 'month': 'month_start'} -%}
{%- set slices = var('kpi_slices') -%}
{%- set group_columns = ['process'] + grains.values() | list + slices -%}

{%- set grouping_sets -%}
    grouping sets (
    {%- for column in grains.values() %}
        (process, {{ column }}){% for slice in slices %}, (process, {{ column }}, {{ slice }}){% endfor %}{{ ',' if not loop.last }}
    {%- endfor %}
    )
{%- endset -%}

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
        process_events.employee_id,
        cohorts.is_converted,
        cohorts.hours_to_result,
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
    left join {{ ref('int_process_cohorts') }} as cohorts
        on process_events.process = cohorts.process
            and process_events.event_id = cohorts.event_id
            and process_events.event_role = 'input'
    left join {{ ref('stg_employees') }} as employees on process_events.employee_id = employees.employee_id
    left join {{ ref('stg_clients') }} as clients on process_events.client_id = clients.client_id
),

counts as (
    select
        {{ group_columns | join(', ') }},
        {{ count_where("event_role = 'attempt'") }} as attempts,
        {{ count_where("event_role = 'input'") }} as inputs,
        {{ count_where("event_role = 'result'") }} as results,
        {{ count_where("event_role = 'input' and is_converted") }} as cohort_conversions
    from events
    group by {{ grouping_sets }}  -- noqa: PRS
),

participants as (
    select {{ group_columns | join(', ') }}, count(distinct employee_id) as participants
    from (
        select distinct {{ group_columns | join(', ') }}, employee_id
        from events
        where event_role in ('input', 'result') and employee_id is not null
    ) as pairs
    group by {{ grouping_sets }}  -- noqa: PRS
),

times as (
    select
        {{ group_columns | join(', ') }},
        {{ percentile('hours_to_result', 0.5) }} as median_hours_to_result,
        {{ percentile('hours_to_result', 0.9) }} as p90_hours_to_result
    from events
    where event_role = 'input' and is_converted
    group by {{ grouping_sets }}  -- noqa: PRS
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
