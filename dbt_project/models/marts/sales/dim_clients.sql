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
    where client_id is not null
    group by client_id
),

with_recency as (
    select
        clients.*,
        history.first_contact_at,
        history.last_meeting_at,
        coalesce(history.deals, 0) as deals,
        {{ dbt.datediff('cast(history.last_meeting_at as date)', 'as_of.as_of_date', 'day') }}
            as days_since_last_meeting
    from clients
    cross join {{ ref('int_as_of') }} as as_of
    left join history on history.client_id = clients.client_id
)

select
    with_recency.client_id,
    with_recency.client_name,
    client_type,
    region,
    industry,
    services,
    equipment,
    revenue_tier,
    created_at,
    first_contact_at,
    last_meeting_at,
    days_since_last_meeting,
    bands.band as last_meeting_band,
    deals
from with_recency
left join {{ ref('recency_bands') }} as bands
    on (with_recency.last_meeting_at is null and bands.min_days is null and bands.max_days is null)
    or (with_recency.days_since_last_meeting >= bands.min_days
        and (bands.max_days is null or with_recency.days_since_last_meeting <= bands.max_days))
