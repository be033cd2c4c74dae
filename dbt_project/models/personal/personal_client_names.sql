{#- Clients' names, kept beside the raw rows they come from and nowhere downstream. -#}

with clients as (
    {{ latest_version('clients', ['client_id']) }}
)

select
    client_id,
    name as client_name
from clients
