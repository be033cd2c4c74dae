{#- One row per call leg as the PBX or CRM wrote it. The phone number is replaced by its keyed hash
    (raw.phone_numbers): from here on no model holds a phone number. -#}

with calls as (
    {{ latest_version('calls', ['call_id']) }}
),

phones as (
    select
        raw_value,
        phone_key
    from {{ source('raw', 'phone_numbers') }}
    where part = 1
)

select
    calls.call_id,
    coalesce(calls.linked_id, calls.call_id) as linked_id,
    calls.started_at as started_at_utc,
    {{ to_business_time('calls.started_at') }} as started_at,
    cast({{ to_business_time('calls.started_at') }} as date) as started_on,
    calls.direction,
    calls.employee_id,
    calls.client_id,
    phones.phone_key as client_phone_key,
    calls.disposition,
    calls.disposition = 'ANSWERED' as is_answered,
    calls.duration_s,
    calls.outcome
from calls
left join phones on calls.client_phone = phones.raw_value
