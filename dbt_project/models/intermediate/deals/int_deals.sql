{#- One row per deal: its cohort (month of its first dated stage entry), how far it got, and how it
    closed (docs/metrics.md section 7). A deal is won when it first enters a won stage of the catalog, lost
    when it enters a lost stage, closed by whichever came first. When the export dates only a later
    stage (the deal is `paid`, its signing undated), the first dated entry at or after the first won
    stage stands in for the win's time; a close with no date at all counts only in the all-time figures.
    The owner of a closed deal is the employee of its closing stage entry. The sales cycle runs from the
    first dated entry of a stage before the win; an export that dates nothing before the win (a list of
    won deals) gives no cycle rather than a cycle of zero. -#}

with entries as (
    select stages.*
    from {{ ref('stg_deal_stages') }} as stages
    cross join {{ ref('int_as_of') }} as as_of
    where stages.entered_on is null or stages.entered_on <= as_of.as_of_date
),

first_won_stage as (
    select min(stage_order) as stage_order from {{ ref('stage_catalog') }}
    where is_won
),

deals as (
    select
        entries.deal_id,
        max(entries.client_id) as client_id,
        min(entries.entered_at) as first_entered_at,
        min(case when not entries.is_lost and entries.stage_order < first_won_stage.stage_order
                then entries.entered_at
        end) as cycle_start_at,
        max(case when not entries.is_lost then entries.stage_order end) as furthest_stage_order
    from entries
    cross join first_won_stage
    group by entries.deal_id
),

{# The candidate closing entries: entries at or after the first won stage, and losses. The first of each
    kind per deal, dated before undated. -#}
closings as (
    select
        entries.deal_id,
        entries.entered_at,
        entries.employee_id,
        entries.loss_reason,
        case when entries.is_lost then 'lost' else 'won' end as outcome,
        row_number() over (
            partition by entries.deal_id, entries.is_lost
            order by case when entries.entered_at is null then 1 else 0 end, entries.entered_at, entries.stage_order
        ) as rank_in_kind
    from entries
    cross join first_won_stage
    where entries.is_lost or entries.stage_order >= first_won_stage.stage_order
),

{# The closing: the earlier of the first win and the first loss; an undated one loses to a dated one,
    and between two undated ones the win stands (the deal passed a won stage). -#}
first_closing as (
    select
        closings.*,
        row_number() over (
            partition by closings.deal_id
            order by
                case when closings.entered_at is null then 1 else 0 end, closings.entered_at,
                case when closings.outcome = 'won' then 0 else 1 end
        ) as closing_rank
    from closings
    where closings.rank_in_kind = 1
)

select
    deals.deal_id,
    deals.client_id,
    deals.first_entered_at,
    cast({{ dbt.date_trunc('month', 'deals.first_entered_at') }} as date) as cohort_month,
    deals.furthest_stage_order,
    first_closing.entered_at as closed_at,
    cast(first_closing.entered_at as date) as closed_on,
    first_closing.employee_id as owner_id,
    employees.team as owner_team,
    coalesce(first_closing.outcome, 'open') as outcome,
    case when first_closing.outcome = 'lost' then first_closing.loss_reason end as loss_reason,
    {#- Never negative: exports round some times to the minute but not others (amoCRM's closing time). -#}
    
    case when first_closing.outcome = 'won' then
            greatest(0, {{ hours_between('deals.cycle_start_at', 'first_closing.entered_at') }}) / 24
    end as sales_cycle_days
from deals
left join first_closing on deals.deal_id = first_closing.deal_id and first_closing.closing_rank = 1
left join {{ ref('stg_employees') }} as employees on first_closing.employee_id = employees.employee_id
