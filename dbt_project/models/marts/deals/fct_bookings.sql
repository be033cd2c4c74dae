{#- Bookings (docs/metrics.md section 7): the amounts of the contracts of the deals won in a period, per
    currency, by the owner of the win. A won deal without a contract counts under currency `none`. -#}

with wins as (
    select * from {{ ref('int_deals') }}
    where outcome = 'won'
),

booked as (
    select
        wins.deal_id,
        wins.closed_on,
        wins.owner_id,
        wins.owner_team,
        contracts.amount,
        coalesce(contracts.currency, 'none') as currency
    from wins
    left join {{ ref('stg_contracts') }} as contracts on wins.deal_id = contracts.deal_id
),

sliced as (
    select
        'all' as slice_type,
        'all' as slice_value,
        booked.*
    from booked
    union all
    select
        'team',
        coalesce(owner_team, 'unknown'),
        booked.*
    from booked
    union all
    select
        'employee',
        coalesce(owner_id, 'unknown'),
        booked.*
    from booked
),

in_periods as (
    {{ in_each_period('sliced', 'sliced.closed_on') }}
)

select
    period_grain,
    period_start,
    slice_type,
    slice_value,
    currency,
    count(distinct deal_id) as won_deals,
    sum(amount) as amount
from in_periods
group by period_grain, period_start, slice_type, slice_value, currency
