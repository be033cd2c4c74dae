{#- Inbound calls per business day and employee: volume, answered share, and what happened to the
    missed ones (called back within the next working day, not called back, still awaiting). -#}

with inbound as (
    select * from {{ ref('int_inbound_calls') }}
)

select
    inbound.started_on as call_date,
    coalesce(inbound.employee_id, 'unknown') as employee_id,
    coalesce(employees.team, 'unknown') as team,
    count(*) as inbound_calls,
    {{ count_where("inbound.is_answered") }} as answered,
    {{ safe_divide(count_where("inbound.is_answered"), 'count(*)') }} as answered_share,
    {{ count_where("inbound.is_missed") }} as missed,
    {{ count_where("inbound.callback_status = 'called_back'") }} as missed_called_back,
    {{ count_where("inbound.callback_status = 'not_called_back'") }} as missed_not_called_back,
    {{ count_where("inbound.callback_status = 'awaiting_callback'") }} as missed_awaiting_callback
from inbound
left join {{ ref('stg_employees') }} as employees on inbound.employee_id = employees.employee_id
group by inbound.started_on, coalesce(inbound.employee_id, 'unknown'), coalesce(employees.team, 'unknown')
