with deal_stages as (
    {{ latest_version('deal_stages', ['deal_id', 'stage', 'entered_at']) }}
)

select
    {{ dbt.concat(['deal_id', "'|'", 'stage', "'|'", 'cast(entered_at as ' ~ dbt.type_string() ~ ')']) }} as deal_stage_id,
    deal_id,
    client_id,
    stage,
    entered_at as entered_at_utc,
    {{ to_business_time('entered_at') }} as entered_at,
    cast({{ to_business_time('entered_at') }} as date) as entered_on,
    employee_id,
    case when stage = 'lost' then coalesce(loss_reason, 'unspecified') end as loss_reason
from deal_stages
