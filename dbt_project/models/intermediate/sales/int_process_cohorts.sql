{#- One row per input event of a process: did its subject reach the result within the process's
    window, and how many hours did that take (the first result at or after the input counts).

    Incremental as int_funnel_events: an input's cohort depends on its subject's events only, so the
    rows of the subjects int_changed_subjects lists are replaced (unique key: process and subject); a
    subject left with no input in a process comes out as one row with no input time, deleted after.
    An input is its process, subject and time (a process's input is one event type). -#}
{{ config(materialized='incremental', unique_key=['process', 'subject_id'],
          incremental_strategy=incremental_strategy(), on_schema_change='fail',
          post_hook="{% if loads_incrementally() %}delete from {{ this }} where input_at is null{% endif %}") }}

-- depends_on: {{ ref('int_changed_subjects') }}

with processes as (
    select * from {{ ref('process_chain') }}
),

process_events as (
    select * from {{ ref('int_process_events') }}
    where {{ of_changed_subjects('subject_type', 'subject_id') }}
),

inputs as (
    select * from process_events
    where event_role = 'input'
),

results as (
    select * from process_events
    where event_role = 'result'
),

first_results as (
    select
        inputs.process,
        inputs.subject_id,
        inputs.occurred_at,
        min(results.occurred_at) as result_at
    from inputs
    inner join processes on inputs.process = processes.process
    inner join results
        on inputs.process = results.process
            and inputs.subject_id = results.subject_id
            and inputs.occurred_at <= results.occurred_at
            and {{ hours_between('inputs.occurred_at', 'results.occurred_at') }} <= processes.window_days * 24
    group by inputs.process, inputs.subject_id, inputs.occurred_at
)

select
    inputs.process,
    inputs.subject_id,
    inputs.client_id,
    inputs.employee_id,
    inputs.occurred_at as input_at,
    first_results.result_at,
    first_results.result_at is not null as is_converted,
    {{ hours_between('inputs.occurred_at', 'first_results.result_at') }} as hours_to_result
from inputs
left join first_results
    on inputs.process = first_results.process
        and inputs.subject_id = first_results.subject_id
        and inputs.occurred_at = first_results.occurred_at
{%- if loads_incrementally() %}
{#- The changed subjects left with no input in a process of their kind. #}
union all
select
    processes.process,
    changed.subject_id,
    {% for _ in range(6) %}null{{ ',' if not loop.last }}{% endfor %}  -- the 6 other columns
from {{ ref('int_changed_subjects') }} as changed
inner join processes on changed.subject_type = processes.subject
where not exists (
    select 1 from inputs
    where inputs.process = processes.process and inputs.subject_id = changed.subject_id
)
{%- endif %}
