with calls as (
    {{ latest_version('calls', ['call_id']) }}
)

select
    call_id,
    started_at as started_at_utc,
    {{ to_business_time('started_at') }} as started_at,
    cast({{ to_business_time('started_at') }} as date) as started_on,
    direction,
    employee_id,
    client_id,
    client_phone,
    disposition,
    disposition = 'ANSWERED' as is_answered,
    duration_s,
    outcome
from calls
