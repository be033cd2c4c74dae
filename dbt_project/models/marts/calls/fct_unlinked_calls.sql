{#- The calls that found no client: what to fix in the CRM (missing phone numbers, duplicates). -#}

select
    calls.call_id,
    calls.started_at,
    calls.started_on,
    calls.direction,
    calls.employee_id,
    calls.client_link as reason,
    calls.client_phone_key,
    calls.legs
from {{ ref('int_calls') }} as calls
cross join {{ ref('int_as_of') }} as as_of
where calls.started_on <= as_of.as_of_date
    and calls.client_link not in ('id', 'phone')
