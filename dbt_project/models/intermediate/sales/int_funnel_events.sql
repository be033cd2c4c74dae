{#- Every dated sales event in one shape, the vocabulary of the process chain and the client funnel:
    leads give `lead_created` and `lead_converted` (attributed to their assignee); outbound calls give
    `dial` (every call), `contact` (answered) and `meeting_agreed` (its outcome); deal stage entries with
    a date give one event named after the stage (an undated passage counts in stage reach and win rate,
    never in a period KPI). Inbound calls are not active search.

    An event is its subject, type and time (the key the tests check). No key column of one string is
    stored: at 10M calls writing a concatenated key for 15M events (and again in int_process_events and
    int_process_cohorts) cost 2-3 s a table, most of the models' write time (docs/performance.md).

    Incremental: a run that takes in only new loads replaces the events of the subjects
    int_changed_subjects lists (unique key: the subject). A subject left with no event comes out as one
    row with no event type, which deletes the events held and is then deleted. -#}
{{ config(materialized='incremental', unique_key=['subject_type', 'subject_id'],
          incremental_strategy=incremental_strategy(), on_schema_change='fail',
          post_hook="{% if loads_incrementally() %}delete from {{ this }} where event_type is null{% endif %}") }}

-- depends_on: {{ ref('int_changed_subjects') }}

with outbound_calls as (
    select * from {{ ref('int_calls') }}
    where direction = 'outbound' and {{ of_changed_subjects("'call'", 'call_id') }}
),

deal_stages as (
    select * from {{ ref('stg_deal_stages') }}
    where {{ of_changed_subjects("'deal'", 'deal_id') }}
),

leads as (
    select * from {{ ref('stg_leads') }}
    where {{ of_changed_subjects("'lead'", 'lead_id') }}
),

call_events as (
    select
        call_id as subject_id,
        'dial' as event_type,
        client_id,
        employee_id,
        started_at as occurred_at,
        started_on as occurred_on,
        cast(null as {{ dbt.type_string() }}) as loss_reason
    from outbound_calls
    union all
    select
        call_id,
        'contact',
        client_id,
        employee_id,
        started_at,
        started_on,
        null
    from outbound_calls
    where is_answered
    union all
    select
        call_id,
        'meeting_agreed',
        client_id,
        employee_id,
        started_at,
        started_on,
        null
    from outbound_calls
    where outcome = 'meeting_agreed'
),

stage_events as (
    select
        deal_id as subject_id,
        stage as event_type,
        client_id,
        employee_id,
        entered_at as occurred_at,
        entered_on as occurred_on,
        loss_reason
    from deal_stages
    where is_dated
),

lead_events as (
    select
        lead_id as subject_id,
        'lead_created' as event_type,
        client_id,
        assignee_id as employee_id,
        created_at as occurred_at,
        created_on as occurred_on,
        cast(null as {{ dbt.type_string() }}) as loss_reason
    from leads
    union all
    select
        lead_id,
        'lead_converted',
        client_id,
        assignee_id,
        closed_at,
        closed_on,
        null
    from leads
    where status = 'converted' and closed_at is not null
),

events as (
    select
        'call' as subject_type,
        call_events.*
    from call_events
    union all
    select
        'deal' as subject_type,
        stage_events.*
    from stage_events
    union all
    select
        'lead' as subject_type,
        lead_events.*
    from lead_events
)

select
    events.event_type,
    events.subject_type,
    events.subject_id,
    events.client_id,
    events.employee_id,
    events.occurred_at,
    events.occurred_on,
    events.loss_reason
from events
cross join {{ ref('int_as_of') }} as as_of
where events.occurred_on <= as_of.as_of_date
{%- if loads_incrementally() %}
{#- The changed subjects left with no event. #}
union all
select
    null,
    changed.subject_type,
    changed.subject_id,
    {% for _ in range(5) %}null{{ ',' if not loop.last }}{% endfor %}  -- the 5 other columns
from {{ ref('int_changed_subjects') }} as changed
where not exists (
    select 1
    from events
    cross join {{ ref('int_as_of') }} as as_of
    where events.subject_type = changed.subject_type and events.subject_id = changed.subject_id
        and events.occurred_on <= as_of.as_of_date
)
{%- endif %}
