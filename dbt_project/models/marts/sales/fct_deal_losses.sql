{#- One row per lost deal: why, and the last stage it reached before `lost`. Reasons listed in var
    wholesale_loss_reasons are hand-offs to the wholesale team, not lost sales. -#}

with stages as (
    select * from {{ ref('stg_deal_stages') }}
),

losses as (
    select * from stages
    where is_lost and is_dated
),

stages_before_loss as (
    select
        losses.deal_stage_id,
        earlier.stage,
        earlier.stage_order,
        row_number() over (
            partition by losses.deal_stage_id
            order by
                case when earlier.is_dated then 0 else 1 end, earlier.entered_at desc,
                earlier.stage_order desc
        ) as recency_rank
    from losses
    inner join stages as earlier
        on losses.deal_id = earlier.deal_id
            and (losses.entered_at >= earlier.entered_at or not earlier.is_dated)
            and not earlier.is_lost
)

select
    losses.deal_id,
    losses.client_id,
    losses.employee_id,
    employees.team,
    losses.entered_at as lost_at,
    losses.entered_on as lost_on,
    losses.loss_reason,
    last_stage.stage_order as last_stage_order,
    coalesce(last_stage.stage, 'none') as last_stage_before_loss,
    losses.loss_reason in ({{ "'" ~ var('wholesale_loss_reasons') | join("', '") ~ "'" }}) as is_wholesale_handoff
from losses
cross join {{ ref('int_as_of') }} as as_of
left join stages_before_loss as last_stage
    on losses.deal_stage_id = last_stage.deal_stage_id
        and last_stage.recency_rank = 1
left join {{ ref('stg_employees') }} as employees on losses.employee_id = employees.employee_id
where losses.entered_on <= as_of.as_of_date
