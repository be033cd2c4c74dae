{#- Lost deals per period, reason and last stage reached, wholesale hand-offs flagged apart. -#}

with losses as (
    select * from {{ ref('fct_deal_losses') }}
),

grains as (
    {{ period_grains() }}
)

select
    grains.period_grain,
    {{ period_start('grains.period_grain', 'losses.lost_on') }} as period_start,
    losses.loss_reason,
    losses.last_stage_before_loss,
    losses.is_wholesale_handoff,
    count(*) as losses
from losses
cross join grains
group by
    grains.period_grain,
    {{ period_start('grains.period_grain', 'losses.lost_on') }},
    losses.loss_reason,
    losses.last_stage_before_loss,
    losses.is_wholesale_handoff
