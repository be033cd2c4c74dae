{#- The subjects (calls, deals, leads) whose events may differ from the ones the event models hold: an
    incremental run (macros/incremental.sql) rebuilds the events, process events and cohorts of these
    only. A subject's events depend on its own rows and on the as-of date, so it changed when
    - a load after the last build (raw._incremental_basis.through_load, recorded by the pipeline when a
      build succeeded; 0 when none is) brought a row of it: a deal stage, a lead, a call leg (and the
      call a leg named before: raw rows keep every version, so a leg that moved to another call is
      found with its old call), or int_calls rewrote the call (its phone number's owners changed);
    - it has an event dated between the as-of date of the last build and this one's (either way: a
      later as-of date lets events in, an earlier one cuts them off), or on a day asked to be rebuilt
      (macros/incremental.sql, in_days_to_rebuild).
    A full refresh, and Spark (which rebuilds every model), list none. -#}
-- depends_on: {{ ref('int_calls') }}, {{ ref('stg_deal_stages') }}, {{ ref('stg_leads') }}

with as_of as (
    select as_of_date from {{ ref('int_as_of') }}
),

last_build as (
    {{ last_build() }}
),

{# The days whose events came in or went out with the as-of date: after the earlier of the two as-of
   dates, up to the later one (none when the last build's is not known: then every load is new). -#}
moved_days as (
    select
        least(last_build.as_of_date, as_of.as_of_date) as after_day,
        greatest(last_build.as_of_date, as_of.as_of_date) as through_day
    from last_build
    cross join as_of
),

new_legs as (
    select distinct legs.call_id
    from {{ source('raw', 'calls') }} as legs
    cross join last_build
    where legs._load_id > last_build.through_load
),

{# The subjects with a row in a load after the last build. -#}
loaded as (
    select
        'call' as subject_type,
        coalesce(legs.linked_id, legs.call_id) as subject_id
    from {{ source('raw', 'calls') }} as legs
    inner join new_legs on legs.call_id = new_legs.call_id
    union all
    select
        'call',
        calls.call_id
    from {{ ref('int_calls') }} as calls
    cross join last_build
    where calls.merged_load_id > last_build.through_load
    union all
    select
        'deal',
        stages.deal_id
    from {{ source('raw', 'deal_stages') }} as stages
    cross join last_build
    where stages._load_id > last_build.through_load
    union all
    select
        'lead',
        leads.lead_id
    from {{ source('raw', 'leads') }} as leads
    cross join last_build
    where leads._load_id > last_build.through_load
),

{# Each subject's days with an event (before the as-of date cuts them). -#}
event_days as (
    select
        'call' as subject_type,
        call_id as subject_id,
        started_on as event_on
    from {{ ref('int_calls') }}
    union all
    select
        'deal',
        deal_id,
        entered_on
    from {{ ref('stg_deal_stages') }}
    union all
    select
        'lead',
        lead_id,
        created_on
    from {{ ref('stg_leads') }}
    union all
    select
        'lead',
        lead_id,
        closed_on
    from {{ ref('stg_leads') }}
),

changed as (
    select
        subject_type,
        subject_id
    from loaded
    union
    select
        event_days.subject_type,
        event_days.subject_id
    from event_days
    cross join moved_days
    where (event_days.event_on > moved_days.after_day and event_days.event_on <= moved_days.through_day)
        or {{ in_days_to_rebuild('event_days.event_on') }}
)

select
    subject_type,
    subject_id
from changed
{%- if flags.FULL_REFRESH or target.type == 'spark' %}
where 1 = 0  -- DuckDB plans an empty result: nothing above is read
{%- endif %}
