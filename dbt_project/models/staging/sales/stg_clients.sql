{#- Clients without names: they stay in schema raw (personal_client_names). -#}

with clients as (
    {{ latest_version('clients', ['client_id']) }}
)

select
    client_id,
    client_type,
    region,
    industry,
    services,
    equipment,
    revenue_tier,
    {{ to_business_time('created_at') }} as created_at
from clients
