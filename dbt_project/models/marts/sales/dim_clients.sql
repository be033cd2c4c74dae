{#- Clients with their segments and sales history: type, region, industry, services, equipment,
    revenue tier, first contact and last meeting (with a recency band for segmentation). -#}

with clients as (
    select * from {{ ref('stg_clients') }}
),

events as (
    select * from {{ ref('int_funnel_events') }}
),

history as (
    select
        client_id,
        min(case when event_type = 'contact' then occurred_at end) as first_contact_at,
        max(case when event_type = 'meeting_held' then occurred_at end) as last_meeting_at,
        count(distinct case when subject_type = 'deal' then subject_id end) as deals
    from events
    {#- Only the events the history counts: dials are most of the events (9M of 15M at SF10). #}
    where client_id is not null
        and (event_type in ('contact', 'meeting_held') or subject_type = 'deal')
    group by client_id
),

with_recency as (
    select
        clients.*,
        history.first_contact_at,
        history.last_meeting_at,
        coalesce(history.deals, 0) as deals,
        {{ days_between('cast(history.last_meeting_at as date)', 'as_of.as_of_date') }}
            as days_since_last_meeting
    from clients
    cross join {{ ref('int_as_of') }} as as_of
    left join history on clients.client_id = history.client_id
)

select
    with_recency.client_id,
    with_recency.client_type,
    with_recency.region,
    with_recency.industry,
    with_recency.services,
    with_recency.equipment,
    with_recency.revenue_tier,
    with_recency.created_at,
    with_recency.first_contact_at,
    with_recency.last_meeting_at,
    with_recency.days_since_last_meeting,
    bands.band as last_meeting_band,
    with_recency.deals
from with_recency
left join {{ ref('recency_bands') }} as bands
    on (with_recency.last_meeting_at is null and bands.min_days is null and bands.max_days is null)
        or (
            with_recency.days_since_last_meeting >= bands.min_days
            and (bands.max_days is null or with_recency.days_since_last_meeting <= bands.max_days)
        )
