{#- Deal stage entries, with the stage catalog's flags. An entry without a date is a passage the export
    states without dating it (a CRM snapshot's current stage): it counts in stage reach and win rate,
    never in a period KPI. -#}

with deal_stages as (
    {{ latest_version('deal_stages', ['deal_id', 'stage', 'entered_at']) }}
),

catalog as (
    select * from {{ ref('stage_catalog') }}
)

select
    {{ dbt.concat(['deal_stages.deal_id', "'|'", 'deal_stages.stage', "'|'",
                   "coalesce(cast(deal_stages.entered_at as " ~ dbt.type_string() ~ "), 'undated')"]) }}
        as deal_stage_id,
    deal_stages.deal_id,
    deal_stages.client_id,
    deal_stages.stage,
    catalog.stage_order,
    catalog.is_won,
    catalog.is_lost,
    catalog.is_terminal,
    deal_stages.entered_at as entered_at_utc,
    {{ to_business_time('deal_stages.entered_at') }} as entered_at,
    cast({{ to_business_time('deal_stages.entered_at') }} as date) as entered_on,
    deal_stages.entered_at is not null as is_dated,
    deal_stages.employee_id,
    case when catalog.is_lost then coalesce(deal_stages.loss_reason, 'unspecified') end as loss_reason
from deal_stages
inner join catalog on deal_stages.stage = catalog.stage
