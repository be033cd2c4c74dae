{#- One row per call. The legs of one call (same linked_id: a ring group ringing several phones, a
    queue, a transfer) are one call: it started with its first leg, was answered if any leg was, by the
    employee of the first answered leg that names one (a PBX's internal legs name none), or of the first
    leg that names one when none was answered, and lasted as long as its longest answered leg. A call without a client id is linked to the client whose phone number it
    carries, when exactly one client has that number. -#}

with legs as (
    select
        stg_calls.*,
        row_number() over (partition by stg_calls.linked_id order by stg_calls.started_at_utc, stg_calls.call_id) as leg_order,
        row_number() over (
            partition by stg_calls.linked_id
            order by
                case when stg_calls.is_answered then 0 else 1 end, case when stg_calls.employee_id is null then 1 else 0 end,
                stg_calls.started_at_utc, stg_calls.call_id
        ) as answer_order
    from {{ ref('stg_calls') }} as stg_calls
),

calls as (
    select
        linked_id as call_id,
        count(*) as legs,
        min(started_at_utc) as started_at_utc,
        max(case when leg_order = 1 then direction end) as direction,
        max(case when answer_order = 1 then employee_id end) as employee_id,
        max(client_id) as client_id,
        max(client_phone_key) as client_phone_key,
        max(case when answer_order = 1 then disposition end) as disposition,
        max(case when is_answered then 1 else 0 end) = 1 as is_answered,
        max(case when is_answered then duration_s end) as duration_s,
        max(case when answer_order = 1 then outcome end) as outcome
    from legs
    group by linked_id
),

phone_owners as (
    select
        phone_key,
        min(client_id) as client_id,
        count(distinct client_id) as clients
    from {{ ref('stg_client_phones') }}
    group by phone_key
)

select
    calls.call_id,
    calls.legs,
    calls.started_at_utc,
    {{ to_business_time('calls.started_at_utc') }} as started_at,
    cast({{ to_business_time('calls.started_at_utc') }} as date) as started_on,
    calls.direction,
    calls.employee_id,
    calls.client_phone_key,
    calls.disposition,
    calls.is_answered,
    calls.duration_s,
    calls.outcome,
    coalesce(calls.client_id, case when phone_owners.clients = 1 then phone_owners.client_id end) as client_id,
    case
        when calls.client_id is not null then 'id'
        when phone_owners.clients = 1 then 'phone'
        when phone_owners.clients > 1 then 'ambiguous_phone'
        when calls.client_phone_key is null then 'no_phone'
        else 'unknown_phone'
    end as client_link
from calls
left join phone_owners on calls.client_phone_key = phone_owners.phone_key
