{#- Every business-local day from the first sales event to the as-of date, with its ISO week and month:
    the periods a dense mart reports, even those in which nothing happened. -#}

with bounds as (
    select
        min(events.occurred_on) as first_day,
        max(as_of.as_of_date) as as_of_date
    from {{ ref('int_funnel_events') }} as events
    cross join {{ ref('int_as_of') }} as as_of
),

day_numbers as (
    {{ dbt.generate_series(36600) }}  {#- a century of days: more than any CRM history -#}
),

days as (
    select
        cast({{ dbt.dateadd('day', 'day_numbers.generated_number - 1', 'bounds.first_day') }} as date) as day,
        bounds.as_of_date
    from bounds
    cross join day_numbers
)

select
    day,
    cast({{ dbt.date_trunc('week', 'day') }} as date) as week_start,
    cast({{ dbt.date_trunc('month', 'day') }} as date) as month_start
from days
where day <= as_of_date
