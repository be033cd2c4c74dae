{#- Inbound calls up to the as-of date, and for each missed one whether it was called back: an outbound
    call to the same client (by client id, or by the keyed hash of the phone number) after it and no later
    than the next working day. A missed call whose callback day has not ended at the as-of date is still
    awaiting its callback. -#}

{#- inbound and outbound each read int_calls: a CTE of all calls that both read would be materialised whole
    (DuckDB materialises a CTE referenced twice: 10M calls, half the model's time at SF10). -#}
with inbound as (
    select calls.*
    from {{ ref('int_calls') }} as calls
    cross join {{ ref('int_as_of') }} as as_of
    where calls.started_on <= as_of.as_of_date and calls.direction = 'inbound'
),

outbound as (
    select
        calls.call_id,
        calls.client_id,
        calls.client_phone_key,
        calls.started_at,
        calls.started_on
    from {{ ref('int_calls') }} as calls
    cross join {{ ref('int_as_of') }} as as_of
    where calls.started_on <= as_of.as_of_date and calls.direction = 'outbound'
),

missed as (
    select
        call_id,
        client_id,
        client_phone_key,
        started_at,
        {{ next_working_day('started_on') }} as callback_due_on
    from inbound
    where not is_answered
),

{# Two equality joins rather than one join on `a or b`: each can use a hash join. -#}
callbacks as (
    select
        missed.call_id,
        outbound.started_at
    from missed
    inner join outbound on missed.client_id = outbound.client_id
    where outbound.started_at > missed.started_at and outbound.started_on <= missed.callback_due_on
    union all
    select
        missed.call_id,
        outbound.started_at
    from missed
    inner join outbound on missed.client_phone_key = outbound.client_phone_key
    where outbound.started_at > missed.started_at and outbound.started_on <= missed.callback_due_on
),

first_callbacks as (
    select
        call_id,
        min(started_at) as called_back_at
    from callbacks
    group by call_id
)

select
    inbound.call_id,
    inbound.started_at,
    inbound.started_on,
    inbound.employee_id,
    inbound.client_id,
    inbound.client_link,
    inbound.client_phone_key,
    inbound.is_answered,
    missed.callback_due_on,
    first_callbacks.called_back_at,
    not inbound.is_answered as is_missed,
    case
        when inbound.is_answered then null
        when first_callbacks.called_back_at is not null then 'called_back'
        when missed.callback_due_on >= as_of.as_of_date then 'awaiting_callback'
        else 'not_called_back'
    end as callback_status
from inbound
cross join {{ ref('int_as_of') }} as as_of
left join missed on inbound.call_id = missed.call_id
left join first_callbacks on inbound.call_id = first_callbacks.call_id
