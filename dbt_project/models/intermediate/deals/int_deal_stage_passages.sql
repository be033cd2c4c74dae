{#- Every stage of the chain each deal has passed (docs/metrics.md section 7): the stages it entered, dated
    or not, and by implication every earlier stage of the chain (a deal in stage k has passed the stages
    before k whether or not the export gives them). One row per deal and chain stage; lost stages are
    not part of the chain. Entries after the as-of date are ignored. -#}

with entries as (
    select stages.*
    from {{ ref('stg_deal_stages') }} as stages
    cross join {{ ref('int_as_of') }} as as_of
    where not stages.is_lost and (stages.entered_on is null or stages.entered_on <= as_of.as_of_date)
),

chain as (
    select * from {{ ref('stage_catalog') }}
    where not is_lost
),

reached as (
    select
        deal_id,
        max(stage_order) as furthest_stage_order
    from entries
    group by deal_id
),

stated as (
    select
        deal_id,
        stage,
        min(entered_at) as entered_at
    from entries
    group by deal_id, stage
)

select
    reached.deal_id,
    chain.stage,
    chain.stage_order,
    chain.is_won,
    stated.entered_at,
    stated.entered_at is not null as is_dated,
    stated.deal_id is null as is_implied
from reached
inner join chain on reached.furthest_stage_order >= chain.stage_order
left join stated on reached.deal_id = stated.deal_id and chain.stage = stated.stage
