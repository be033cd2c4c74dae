{#- The missed inbound calls, one row each, with their callback: the list behind the daily counts. -#}

select
    inbound.call_id,
    inbound.started_at,
    inbound.started_on,
    inbound.employee_id,
    employees.team,
    inbound.client_id,
    inbound.client_phone_key,
    inbound.callback_due_on,
    inbound.called_back_at,
    {{ hours_between('inbound.started_at', 'inbound.called_back_at') }} as hours_to_callback,
    inbound.callback_status
from {{ ref('int_inbound_calls') }} as inbound
left join {{ ref('stg_employees') }} as employees on inbound.employee_id = employees.employee_id
where inbound.is_missed
