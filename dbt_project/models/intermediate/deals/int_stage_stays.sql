{#- Stays in stages (docs/metrics.md section 7): a stay in stage k lasts from entering k until the deal's next
    stage entry, a loss included. A stay with no later entry in a stage that is not terminal is open at
    the as-of date; its age runs to the end of that day. Only dated entries up to the as-of date count. -#}

with entries as (
    select
        stages.*,
        as_of.as_of_date
    from {{ ref('stg_deal_stages') }} as stages
    cross join {{ ref('int_as_of') }} as as_of
    where stages.is_dated and stages.entered_on <= as_of.as_of_date
),

ordered as (
    select
        entries.*,
        lead(entries.entered_at) over (partition by entries.deal_id order by entries.entered_at, entries.stage_order) as left_at,
        lead(entries.stage) over (partition by entries.deal_id order by entries.entered_at, entries.stage_order) as next_stage
    from entries
)

select
    {{ dbt.concat(['ordered.deal_id', "'|'", 'ordered.stage', "'|'", 'cast(ordered.entered_at as ' ~ dbt.type_string() ~ ')']) }}
        as stay_id,
    ordered.deal_id,
    ordered.client_id,
    ordered.employee_id,
    ordered.stage,
    ordered.stage_order,
    ordered.entered_at,
    ordered.entered_on,
    ordered.left_at,
    ordered.next_stage,
    next_catalog.is_lost as left_by_loss,
    ordered.left_at is null as is_open,
    {{ hours_between('ordered.entered_at', 'ordered.left_at') }} as stay_hours,
    case when ordered.left_at is null then
            {{ hours_between('ordered.entered_at', end_of_as_of('ordered.as_of_date')) }}
    end as age_hours
from ordered
left join {{ ref('stage_catalog') }} as next_catalog on ordered.next_stage = next_catalog.stage
where not ordered.is_terminal
