with identifiers as (
    {{ latest_version('entity_identifiers', ['client_id', 'id_type', 'id_value', 'source', 'observed_at']) }}
)

select
    client_id,
    id_type,
    id_value,
    source,
    {{ to_business_time('observed_at') }} as observed_at,
    cast({{ to_business_time('observed_at') }} as date) as observed_on
from identifiers
