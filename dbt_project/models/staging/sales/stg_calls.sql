{#- One row per call leg as the PBX or CRM wrote it. The phone number is replaced by its keyed hash
    (raw.phone_numbers): from here on no model holds a phone number. Incremental (macros/incremental.sql):
    a run takes in the legs of the new loads (and those of the days asked to be rebuilt); a leg's newer
    version replaces the one held. A number keeps
    its hash until the phone settings change, and then the pipeline rebuilds the model in full. -#}
{{ config(materialized='incremental', unique_key='call_id', incremental_strategy=incremental_strategy(),
          on_schema_change='fail') }}

with calls as (
    {{ latest_version('calls', ['call_id'], where=(
        newer_loads() ~ ' or ' ~ in_days_to_rebuild('cast(' ~ to_business_time('started_at') ~ ' as date)'))
        if loads_incrementally() else none) }}
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
    calls.outcome,
    calls._load_id as load_id
from calls
left join phones on calls.client_phone = phones.raw_value
