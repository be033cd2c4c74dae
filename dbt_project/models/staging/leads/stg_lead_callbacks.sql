{#- Agreed next calls of leads, latest version of each, times in the business time zone. -#}

with callbacks as (
    {{ latest_version('lead_callbacks', ['lead_id', 'set_at']) }}
)

select
    {{ dbt.concat(['lead_id', "'|'", 'cast(set_at as ' ~ dbt.type_string() ~ ')']) }} as callback_id,
    lead_id,
    {{ to_business_time('set_at') }} as set_at,
    {{ to_business_time('planned_at') }} as planned_at,
    {{ to_business_time('done_at') }} as done_at,
    employee_id,
    result
from callbacks
