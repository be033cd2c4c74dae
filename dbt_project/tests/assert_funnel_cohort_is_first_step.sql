-- The first step of every cohort is the cohort itself: no client can reach a later step without being
-- in it. A failure means the funnel's step events escaped the cohort definition.
select funnel.*
from {{ ref('fct_client_funnel') }} as funnel
inner join {{ ref('fct_client_funnel') }} as first_step
    on first_step.cohort_month = funnel.cohort_month
    and first_step.step_order = 1
where funnel.clients > first_step.clients
