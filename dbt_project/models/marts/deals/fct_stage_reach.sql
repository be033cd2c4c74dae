{#- Stage reach (docs/metrics.md section 7): of the deals of a cohort (the month of their first dated stage
    entry), how many passed each stage of the chain, dated, undated or implied by a later stage. -#}

with passages as (
    select
        passages.*,
        deals.cohort_month
    from {{ ref('int_deal_stage_passages') }} as passages
    inner join {{ ref('int_deals') }} as deals on passages.deal_id = deals.deal_id
    where deals.cohort_month is not null
),

cohorts as (
    select
        cohort_month,
        count(*) as cohort_deals
    from {{ ref('int_deals') }}
    where cohort_month is not null
    group by cohort_month
),

chain as (
    select * from {{ ref('stage_catalog') }}
    where not is_lost
),

reached as (
    select
        cohort_month,
        stage,
        count(*) as deals,
        {{ count_where('is_implied') }} as implied_deals
    from passages
    group by cohort_month, stage
)

select
    cohorts.cohort_month,
    chain.stage,
    chain.stage_order,
    coalesce(reached.deals, 0) as deals,
    coalesce(reached.implied_deals, 0) as implied_deals,
    {{ safe_divide('coalesce(reached.deals, 0)', 'cohorts.cohort_deals') }} as reach_share
from cohorts
cross join chain
left join reached on cohorts.cohort_month = reached.cohort_month and chain.stage = reached.stage
