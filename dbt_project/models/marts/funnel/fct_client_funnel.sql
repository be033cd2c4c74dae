{#- End-to-end active-search conversion (docs/metrics.md section 3): the cohort of a month is the clients
    whose first answered outbound call falls in it; a client reaches a step if the step's event happens
    within client_funnel_window_days after that first contact. -#}

with steps as (
    select * from {{ ref('client_funnel_steps') }}
),

{# Only the events of a step (not the dials: 9M of 15M events at SF10), read once for the cohorts and
    for the steps reached. -#}
events as (
    select * from {{ ref('int_funnel_events') }}
    where client_id is not null
        and event_type in (select steps.event_type from steps)
),

first_contacts as (
    select
        client_id,
        min(occurred_at) as first_contact_at
    from events
    where event_type = 'contact'
    group by client_id
),

cohorts as (
    select
        client_id,
        first_contact_at,
        cast({{ dbt.date_trunc('month', 'first_contact_at') }} as date) as cohort_month
    from first_contacts
),

reached as (
    select distinct
        cohorts.cohort_month,
        steps.step,
        cohorts.client_id
    from cohorts
    inner join events on cohorts.client_id = events.client_id
    inner join steps on events.event_type = steps.event_type
    where events.occurred_at >= cohorts.first_contact_at
        and {{ hours_between('cohorts.first_contact_at', 'events.occurred_at') }}
        <= {{ var('client_funnel_window_days') }} * 24
),

cohort_steps as (
    select distinct
        cohorts.cohort_month,
        steps.step,
        steps.step_order
    from cohorts
    cross join steps
),

counted as (
    select
        cohort_steps.cohort_month,
        cohort_steps.step,
        cohort_steps.step_order,
        count(reached.client_id) as clients
    from cohort_steps
    left join reached
        on cohort_steps.cohort_month = reached.cohort_month
            and cohort_steps.step = reached.step
    group by cohort_steps.cohort_month, cohort_steps.step, cohort_steps.step_order
)

select
    counted.cohort_month,
    counted.step,
    counted.step_order,
    counted.clients,
    {{ safe_divide('counted.clients',
        'lag(counted.clients) over (partition by counted.cohort_month order by counted.step_order)') }}
        as step_conversion,
    {{ safe_divide('counted.clients',
        'first_value(counted.clients) over (partition by counted.cohort_month order by counted.step_order)') }}
        as cumulative_conversion,
    {{ var('client_funnel_window_days') }} as window_days,
    cast({{ dbt.dateadd('day', var('client_funnel_window_days') - 1,
        dbt.dateadd('month', 1, 'counted.cohort_month')) }} as date) > as_of.as_of_date as cohort_open
from counted
cross join {{ ref('int_as_of') }} as as_of
