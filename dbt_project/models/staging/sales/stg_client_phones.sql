{#- The keyed hashes of each client's phone numbers (a client may have several), to link calls that
    carry a number but no client id. -#}

with clients as (
    {{ latest_version('clients', ['client_id']) }}
)

select distinct
    clients.client_id,
    phones.phone_key
from clients
inner join {{ source('raw', 'phone_numbers') }} as phones on clients.phone = phones.raw_value
where phones.phone_key is not null
