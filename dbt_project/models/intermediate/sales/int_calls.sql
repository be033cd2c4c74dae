{#- One row per call. The legs of one call (same linked_id: a ring group ringing several phones, a
    queue, a transfer) are one call: it started with its first leg, was answered if any leg was, by the
    employee of the first answered leg that names one (a PBX's internal legs name none), or of the first
    leg that names one when none was answered, and lasted as long as its longest answered leg. A call
    without a client id is linked to the client whose phone number it carries, when exactly one client
    has that number.

    Incremental (macros/incremental.sql): a run merges again only the calls it can change: those with a
    leg in the new loads, those that lost a leg (a leg's newer version names another call: the call its
    older version named, found in the raw rows, which keep every version), those linked by phone
    whose number's owners may have changed (a client with a new row had it), and those of the days
    asked to be rebuilt. A call left with no
    leg comes out as a row with no legs, which replaces the row held and is then deleted. Each row
    written notes the latest load there was (`merged_load_id`): what the run changed, for the event
    models after it (int_changed_subjects). -#}
{{ config(materialized='incremental', unique_key='call_id', incremental_strategy=incremental_strategy(),
          on_schema_change='fail',
          post_hook="{% if loads_incrementally() %}delete from {{ this }} where legs = 0{% endif %}") }}

with phone_owners as (
    select
        phone_key,
        min(client_id) as client_id,
        count(distinct client_id) as clients
    from {{ ref('stg_client_phones') }}
    group by phone_key
),

{% if loads_incrementally() %}
held as (
    select
        call_id,
        client_phone_key,
        client_link
    from {{ this }}
),

new_legs as (
    select
        call_id,
        linked_id
    from {{ ref('stg_calls') }}
    where {{ newer_loads('load_id', 'last_load_id') }}
),

{# The numbers whose owners may have changed: every number any version of a client with a new row had
   (its old number loses an owner, its new one gains one). Owners change only with new client rows: new
   phone settings rebuild the model in full. Comparing every held call linked by phone with its number's
   owners instead joined 10M calls to them each run: at SF10, with no new client row, the model by itself
   took 1.3 s that way, 0.5-0.7 s this way. #}
changed_phone_keys as (
    select phones.phone_key
    from {{ source('raw', 'clients') }} as versions
    inner join {{ source('raw', 'phone_numbers') }} as phones on versions.phone = phones.raw_value
    where versions.client_id in (
        select new_versions.client_id
        from {{ source('raw', 'clients') }} as new_versions
        cross join ({{ last_build() }}) as last_build
        where new_versions._load_id > last_build.through_load
    )
),

changed_calls as (
    select linked_id as call_id
    from new_legs
    union
    select coalesce(versions.linked_id, versions.call_id)
    from {{ source('raw', 'calls') }} as versions
    where versions.call_id in (select new_legs.call_id from new_legs)
    union
    select linked_id
    from {{ ref('stg_calls') }}
    where {{ in_days_to_rebuild('started_on') }}
    union
    select held.call_id
    from held
    where held.client_link <> 'id'
        and held.client_phone_key in (select phone_key from changed_phone_keys)
),
{% endif %}

{# A call has more than one leg exactly when a leg names another call than its own (a linked_id that is not
    its call_id: call ids are unique). Those calls are few, and only their legs are ordered and grouped
    (ordering every leg twice and grouping them took 22 s of the model's 24 at 10M calls); every other leg
    is a call by itself, with the business-local time stg_calls gave it. A full build finds them by that
    filter: counting the legs of all 10M calls and joining the counts back cost 3.5 s of work. An
    incremental build counts the legs of the changed calls: from so few keys DuckDB reads only the legs
    it needs (the filter read all 10M legs: 1.0 -> 2.1 s at SF10 for a new day). #}
{% if loads_incrementally() %}
leg_counts as (
    select
        linked_id,
        count(*) as legs
    from {{ ref('stg_calls') }}
    where linked_id in (select changed_calls.call_id from changed_calls)
    group by linked_id
),
{% endif %}

multi_leg_calls as (
    {%- if loads_incrementally() %}
        select linked_id
        from leg_counts
        where legs > 1
    {%- else %}
        select distinct linked_id
        from {{ ref('stg_calls') }}
        where linked_id <> call_id
    {%- endif %}
),

legs as (
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
    where stg_calls.linked_id in (select multi_leg_calls.linked_id from multi_leg_calls)
),

calls as (
    select
        linked_id as call_id,
        count(*) as legs,
        min(started_at_utc) as started_at_utc,
        {{ to_business_time('min(started_at_utc)') }} as started_at,
        cast({{ to_business_time('min(started_at_utc)') }} as date) as started_on,
        max(case when leg_order = 1 then direction end) as direction,
        max(case when answer_order = 1 then employee_id end) as employee_id,
        max(client_id) as client_id,
        max(client_phone_key) as client_phone_key,
        max(case when answer_order = 1 then disposition end) as disposition,
        max(case when is_answered then 1 else 0 end) = 1 as is_answered,
        max(case when is_answered then duration_s end) as duration_s,
        max(case when answer_order = 1 then outcome end) as outcome,
        max(load_id) as last_load_id
    from legs
    group by linked_id
    union all
    select
        stg_calls.linked_id,
        1,
        stg_calls.started_at_utc,
        stg_calls.started_at,
        stg_calls.started_on,
        stg_calls.direction,
        stg_calls.employee_id,
        stg_calls.client_id,
        stg_calls.client_phone_key,
        stg_calls.disposition,
        coalesce(stg_calls.is_answered, false),
        case when stg_calls.is_answered then stg_calls.duration_s end,
        stg_calls.outcome,
        stg_calls.load_id
    from {{ ref('stg_calls') }} as stg_calls
    where
        {%- if loads_incrementally() %}
            stg_calls.linked_id in (select leg_counts.linked_id from leg_counts where leg_counts.legs = 1)
        {%- else %}
            stg_calls.linked_id not in (select multi_leg_calls.linked_id from multi_leg_calls)
        {%- endif %}
),

merged as (
    select
        calls.call_id,
        calls.legs,
        calls.started_at_utc,
        calls.started_at,
        calls.started_on,
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
        end as client_link,
        calls.last_load_id,
        (select max(ledger.load_id) from {{ source('raw', '_load_ledger') }} as ledger) as merged_load_id
    from calls
    left join phone_owners on calls.client_phone_key = phone_owners.phone_key
)

select * from merged
{%- if loads_incrementally() %}
{#- The calls left with no leg: rows that replace the ones held, deleted by the post-hook. #}
union all
select
    changed_calls.call_id,
    0,
    {% for _ in range(14) %}null{{ ',' if not loop.last }}{% endfor %}  -- the 14 other columns of merged
from changed_calls
where changed_calls.call_id not in (select call_id from merged)
{%- endif %}
