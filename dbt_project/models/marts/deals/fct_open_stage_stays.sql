{#- The deals sitting in a stage at the as-of date, oldest first: the drill-down list behind open_stays. -#}

select
    stays.deal_id,
    stays.client_id,
    stays.employee_id,
    employees.team,
    stays.stage,
    stays.stage_order,
    stays.entered_at,
    stays.age_hours
from {{ ref('int_stage_stays') }} as stays
left join {{ ref('stg_employees') }} as employees on stays.employee_id = employees.employee_id
where stays.is_open
