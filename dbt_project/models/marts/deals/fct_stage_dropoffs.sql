{#- The deals that dropped off at each stage, by the month they entered it (PostHog's "dropped off"
    list): lost from the stage, or stuck in it at the as-of date. -#}

select
    cast({{ dbt.date_trunc('month', 'stays.entered_on') }} as date) as month_start,
    stays.stage,
    stays.stage_order,
    stays.deal_id,
    stays.client_id,
    stays.employee_id,
    employees.team,
    stays.entered_at,
    stays.left_at as lost_at,
    deals.loss_reason,
    case when stays.is_open then 'stuck' else 'lost' end as dropoff,
    coalesce(stays.stay_hours, stays.age_hours) as hours_in_stage
from {{ ref('int_stage_stays') }} as stays
left join {{ ref('int_deals') }} as deals on stays.deal_id = deals.deal_id
left join {{ ref('stg_employees') }} as employees on stays.employee_id = employees.employee_id
where stays.is_open or stays.left_by_loss
