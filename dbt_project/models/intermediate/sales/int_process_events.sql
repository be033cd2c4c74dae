{#- The events of each process of the chain (seed process_chain), each in its role: `attempt`
    (dials before a contact), `input` or `result`. A process is added by adding a seed row. -#}

with processes as (
    select * from {{ ref('process_chain') }}
),

events as (
    select * from {{ ref('int_funnel_events') }}
),

roles as (
    select
        process,
        subject,
        attempt_event as event_type,
        'attempt' as event_role
    from processes
    where attempt_event is not null
    union all
    select
        process,
        subject,
        input_event,
        'input'
    from processes
    union all
    select
        process,
        subject,
        result_event,
        'result'
    from processes
)

select
    roles.process,
    roles.event_role,
    events.event_id,
    events.subject_id,
    events.client_id,
    events.employee_id,
    events.occurred_at,
    events.occurred_on
from roles
inner join events
    on roles.event_type = events.event_type
        and roles.subject = events.subject_type
