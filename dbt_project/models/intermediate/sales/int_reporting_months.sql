{#- Every month from the first event's month to the as-of month, with its reporting date: the month's
    last day, or the as-of date for the month still running. -#}

with bounds as (
    select
        cast({{ dbt.date_trunc('month', 'min(events.occurred_on)') }} as date) as first_month,
        max(as_of.as_of_date) as as_of_date
    from {{ ref('int_funnel_events') }} as events
    cross join {{ ref('int_as_of') }} as as_of
),

month_numbers as (
    {{ dbt.generate_series(1200) }}  {#- a century of months: more than any CRM history -#}
),

months as (
    select
        cast({{ dbt.dateadd('month', 'month_numbers.generated_number - 1', 'bounds.first_month') }} as date)
            as month_start,
        bounds.as_of_date
    from bounds
    cross join month_numbers
)

select
    month_start,
    least(
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} as date),
        as_of_date
    ) as reporting_date
from months
where month_start <= as_of_date
