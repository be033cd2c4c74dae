{#- The events of each process of the chain (seed process_chain), each in its role: `attempt`
    (dials before a contact), `input` or `result`. A process is added by adding a seed row.

    Incremental as int_funnel_events: the process events of the subjects int_changed_subjects lists
    are replaced; a subject left with none comes out as one row with no process, deleted after. The
    days of the rows replaced are read first (int_changed_event_days), for the KPI periods. -#}
{{ config(materialized='incremental', unique_key=['subject_type', 'subject_id'],
          incremental_strategy=incremental_strategy(), on_schema_change='fail',
          post_hook="{% if loads_incrementally() %}delete from {{ this }} where process is null{% endif %}") }}

-- depends_on: {{ ref('int_changed_subjects') }}
-- int_changed_event_days reads the days of the rows held before this build replaces them:
-- depends_on: {{ ref('int_changed_event_days') }}

with processes as (
    select * from {{ ref('process_chain') }}
),

events as (
    select * from {{ ref('int_funnel_events') }}
    where {{ of_changed_subjects('subject_type', 'subject_id') }}
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
    events.subject_type,
    events.subject_id,
    events.client_id,
    events.employee_id,
    events.occurred_at,
    events.occurred_on
from roles
inner join events
    on roles.event_type = events.event_type
        and roles.subject = events.subject_type
{%- if loads_incrementally() %}
{#- The changed subjects left with no process event. #}
union all
select
    null,
    null,
    changed.subject_type,
    changed.subject_id,
    {% for _ in range(4) %}null{{ ',' if not loop.last }}{% endfor %}  -- the 4 other columns
from {{ ref('int_changed_subjects') }} as changed
where not exists (
    select 1
    from roles
    inner join events on roles.event_type = events.event_type and roles.subject = events.subject_type
    where events.subject_type = changed.subject_type and events.subject_id = changed.subject_id
)
{%- endif %}
