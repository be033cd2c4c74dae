with contracts as (
    {{ latest_version('contracts', ['contract_id']) }}
)

select
    contract_id,
    client_id,
    deal_id,
    {{ to_business_time('signed_at') }} as signed_at,
    cast({{ to_business_time('signed_at') }} as date) as signed_on,
    starts_on,
    ends_on,
    amount,
    currency
from contracts
