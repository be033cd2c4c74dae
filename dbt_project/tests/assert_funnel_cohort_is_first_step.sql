-- The first step of every cohort is the cohort itself: no client can reach a later step without being
-- in it. A failure means the funnel's step events escaped the cohort definition.
select
    funnel.cohort_month,
    funnel.step_order,
    funnel.clients,
    first_step.clients as cohort_clients
from {{ ref('fct_client_funnel') }} as funnel
inner join {{ ref('fct_client_funnel') }} as first_step
    on funnel.cohort_month = first_step.cohort_month
        and first_step.step_order = 1
where funnel.clients > first_step.clients
