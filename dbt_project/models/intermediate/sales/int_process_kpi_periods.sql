{#- The measures of every process per period and slice that come from its events (docs/metrics.md
    section 3): attempts, inputs, results, cohort conversions, participants and time to result. One row
    per process, grain, period and slice with at least one event; fct_process_kpis adds the ratios, the
    FTE and the as-of date's cohort state.

    Every event counts in 24 (grain x slice) groups. Copying each event 24 times and grouping the copies
    cost 34 s at 10M calls, grouping the events once per grain x slice (GROUPING SETS of 24) 68 s under
    the 3 GB cap. So the events are grouped by day only, per slice (8 sets), and weeks and months are
    rolled up from the days: counts add up; participants are counted from the distinct (day, slice,
    employee) rows. Cohort conversions and percentiles read the converted inputs only, and the events
    are not joined to the cohorts at all. GROUPING SETS is SQL:1999 (DuckDB, Spark, Trino, Postgres);
    `noqa: PRS` where it is used, as sqlfluff's DuckDB grammar lacks it. Events whose team or segment is
    unknown count under `unknown`, so the slices of a type add up to `all`; `region_tier` crosses two
    segments (`Moscow | A`) for the report's heatmap.

    Incremental (macros/incremental.sql): a run derives again the periods (days, and the weeks and
    months around them) of the days whose events changed: int_changed_event_days (the days of the
    events replaced, and of clients and employees with new rows) and the days of the replacing events;
    it reads the events of those weeks and months only. A period left with no event comes out as one
    row with no slice, deleted after. -#}
{{ config(materialized='incremental', unique_key=['process', 'period_grain', 'period_start'],
          incremental_strategy=incremental_strategy(), on_schema_change='fail',
          post_hook="{% if loads_incrementally() %}delete from {{ this }} where slice_type is null{% endif %}") }}

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
{%- set period_labels -%}
    case {% for grain, column in grains.items() %}when {{ column }} is not null then '{{ grain }}' {% endfor %}end
            as period_grain,
        coalesce({{ grains.values() | join(', ') }}) as period_start
{%- endset %}
{%- set slice_labels -%}
    case {% for slice in slices %}when {{ slice }} is not null then '{{ slice }}' {% endfor %}else 'all' end
            as slice_type,
        coalesce({{ slices | join(', ') }}, 'all') as slice_value
{%- endset %}
{%- set labels = period_labels ~ ',\n        ' ~ slice_labels %}

-- depends_on: {{ ref('int_changed_subjects') }}, {{ ref('int_changed_event_days') }}
with
{%- if loads_incrementally() %}
changed_days as (
    select
        process,
        occurred_on
    from {{ ref('int_changed_event_days') }}
    union
    select
        process,
        occurred_on
    from {{ ref('int_process_events') }}
    where {{ of_changed_subjects('subject_type', 'subject_id') }}
    union
    select
        process,
        period_start
    from {{ this }}
    where period_grain = 'day' and {{ in_days_to_rebuild('period_start') }}
),

periods_to_derive as (
    select
        process,
        'day' as period_grain,
        occurred_on as period_start
    from changed_days
    union
    select
        process,
        'week',
        {{ periods['week_start'] }}
    from changed_days
    union
    select
        process,
        'month',
        {{ periods['month_start'] }}
    from changed_days
),
{%- endif %}

{#- The slices of an event (of `picked`), and the joins they need: for the events and, apart, for the
    conversions. The events carry no week and month: at 10M calls the narrower events fit
    the 3 GB cap, where the wide ones spilled to disk (51 s -> 33 s for the model; docs/performance.md). #}
{%- set slice_columns %}
        coalesce(employees.team, 'unknown') as team,
        coalesce(picked.employee_id, 'unknown') as employee,
        coalesce(clients.client_type, 'unknown') as client_type,
        coalesce(clients.region, 'unknown') as region,
        coalesce(clients.industry, 'unknown') as industry,
        coalesce(clients.revenue_tier, 'unknown') as revenue_tier,
        {{ dbt.concat(["coalesce(clients.region, 'unknown')", "' | '", "coalesce(clients.revenue_tier, 'unknown')"]) }}
            as region_tier
{%- endset %}
{%- set slice_joins %}
    left join {{ ref('stg_employees') }} as employees on picked.employee_id = employees.employee_id
    left join {{ ref('stg_clients') }} as clients on picked.client_id = clients.client_id
{%- endset %}
{#- The rows of `picked` in the weeks and months to derive again (a day's are among them). #}
{%- set in_periods_to_derive %}
    {%- if loads_incrementally() %}
    ((picked.process, {{ periods['week_start'] }}) in (
        select process, period_start from periods_to_derive where period_grain = 'week'
    )
    or (picked.process, {{ periods['month_start'] }}) in (
        select process, period_start from periods_to_derive where period_grain = 'month'
    ))
    {%- else %}
    1 = 1
    {%- endif %}
{%- endset %}

{#- The events of the periods to derive, picked before anything is joined to them (in `events` and
    `conversions`): DuckDB does not push that filter below the joins, and joining all 15M events to the
    clients first took 3.7 s of a new day's 5 s at SF10. #}
{%- set events_to_derive %}
    (
        select picked.*
        from (
            select
                process,
                event_role,
                subject_id,
                occurred_at,
                employee_id,
                client_id,
                occurred_on
            from {{ ref('int_process_events') }}
        ) as picked
        where {{ in_periods_to_derive }}
    ) as picked
{%- endset %}

events as (
    select
        picked.process,
        picked.event_role,
        picked.employee_id,
        picked.occurred_on,
        {{- slice_columns }}
    from {{ events_to_derive }}
    {{- slice_joins }}
),

{# The inputs that reached the result within the window, with the hours it took. The cohorts carry
   their input's employee, client and time, but reading the slices from the input event is what keeps
   the model under the 3 GB cap at 10M calls: without this join it spilled to disk, 12.8-13.6 s -> 14.1-14.8 s
   alone (docs/performance.md). -#}
conversions as (
    select
        picked.process,
        picked.occurred_on,
        {{ periods['week_start'] }} as week_start,
        {{ periods['month_start'] }} as month_start,
        {{- slice_columns }},
        cohorts.hours_to_result
    from {{ ref('int_process_cohorts') }} as cohorts
    inner join {{ events_to_derive }}
        on cohorts.process = picked.process and cohorts.subject_id = picked.subject_id
            and cohorts.input_at = picked.occurred_at
    {{- slice_joins }}
    where cohorts.is_converted and picked.event_role = 'input'
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

{# Each employee once per day and slice where they had an input or a result. The slice is labelled
   before the roll-up: weeks and months group these 11M rows (at 10M calls) by two columns instead of
   seven, most of them NULL (the model 10-15% faster). -#}
daily_participants as (
    select
        process,
        occurred_on,
        {{ slice_labels }},
        employee_id
    from (
        select {{ daily_columns | join(', ') }}, employee_id
        from events
        where event_role in ('input', 'result') and employee_id is not null
        group by {{ slice_grouping_sets(daily_keys, slices, ['employee_id']) }}  -- noqa: PRS
    ) as grouped
),

participants as (
    {{ rolled_up_days('daily_participants', periods, ['slice_type', 'slice_value'], {'participants': 'count(*)'},
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
        {{ period_labels }}
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
        counted.process,
        counted.period_grain,
        counted.period_start,
        {{ period_end('counted.period_grain', 'counted.period_start') }} as period_end,
        counted.slice_type,
        counted.slice_value,
        counted.attempts,
        counted.inputs,
        counted.results,
        counted.cohort_conversions,
        coalesce(participated.participants, 0) as participants,
        timed.median_hours_to_result,
        timed.p90_hours_to_result
    from counted
    left join participated
        on counted.process = participated.process and counted.period_grain = participated.period_grain
            and counted.period_start = participated.period_start and counted.slice_type = participated.slice_type
            and counted.slice_value = participated.slice_value
    left join timed
        on counted.process = timed.process and counted.period_grain = timed.period_grain
            and counted.period_start = timed.period_start and counted.slice_type = timed.slice_type
            and counted.slice_value = timed.slice_value
)

select periods.*
from periods
{%- if loads_incrementally() %}
{#- The periods to derive again only: a week that reaches into a month derived again was read in part. #}
inner join periods_to_derive
    on periods.process = periods_to_derive.process
        and periods.period_grain = periods_to_derive.period_grain
        and periods.period_start = periods_to_derive.period_start
{#- The periods left with no event. #}
union all
select
    periods_to_derive.process,
    periods_to_derive.period_grain,
    periods_to_derive.period_start,
    {% for _ in range(10) %}null{{ ',' if not loop.last }}{% endfor %}  -- the 10 other columns
from periods_to_derive
where not exists (
    select 1
    from periods
    where periods.process = periods_to_derive.process
        and periods.period_grain = periods_to_derive.period_grain
        and periods.period_start = periods_to_derive.period_start
)
{%- endif %}
