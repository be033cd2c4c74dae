{#- One row per input event of a process: did its subject reach the result within the process's
    window, and how many hours did that take (the first result at or after the input counts). -#}

with processes as (
    select * from {{ ref('process_chain') }}
),

inputs as (
    select * from {{ ref('int_process_events') }}
    where event_role = 'input'
),

results as (
    select * from {{ ref('int_process_events') }}
    where event_role = 'result'
),

first_results as (
    select
        inputs.process,
        inputs.event_id,
        min(results.occurred_at) as result_at
    from inputs
    inner join processes on inputs.process = processes.process
    inner join results
        on inputs.process = results.process
            and inputs.subject_id = results.subject_id
            and inputs.occurred_at <= results.occurred_at
            and {{ hours_between('inputs.occurred_at', 'results.occurred_at') }} <= processes.window_days * 24
    group by inputs.process, inputs.event_id
)

select
    inputs.process,
    inputs.event_id,
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
        and inputs.event_id = first_results.event_id
