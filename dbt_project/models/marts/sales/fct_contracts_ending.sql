{#- For each month, the contracts in force at its reporting date that end within
    contract_horizon_days after it: the renewal work list. The latest month is today's list. -#}

with months as (
    select * from {{ ref('int_reporting_months') }}
),

contracts as (
    select * from {{ ref('stg_contracts') }}
)

select
    months.month_start,
    months.reporting_date,
    contracts.contract_id,
    contracts.client_id,
    clients.region,
    clients.revenue_tier,
    contracts.deal_id,
    contracts.signed_on,
    contracts.starts_on,
    contracts.ends_on,
    {{ days_between('months.reporting_date', 'contracts.ends_on') }} as days_to_end,
    {{ var('contract_horizon_days') }} as horizon_days,
    contracts.amount,
    contracts.currency
from months
inner join contracts
    on (contracts.signed_on is null or months.reporting_date >= contracts.signed_on)
        and months.reporting_date < contracts.ends_on
        and contracts.ends_on <= cast({{ dbt.dateadd('day', var('contract_horizon_days'), 'months.reporting_date') }} as date)
left join {{ ref('stg_clients') }} as clients on contracts.client_id = clients.client_id
