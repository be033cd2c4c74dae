{#- Lead handling per period of creation and slice (docs/metrics.md section 8): leads created, median hours
    to assign and to first contact, outcomes at the as-of date by refusal reason, conversion, and the
    wholesale hand-offs. The reasons with a column of their own are var lead_refusal_reasons. -#}

with leads as (
    select * from {{ ref('int_leads') }}
),

sliced as (
    select
        'all' as slice_type,
        'all' as slice_value,
        leads.*
    from leads
    union all
    select
        'team',
        coalesce(team, 'unknown'),
        leads.*
    from leads
    union all
    select
        'employee',
        coalesce(assignee_id, 'unknown'),
        leads.*
    from leads
),

in_periods as (
    {{ in_each_period('sliced', 'sliced.created_on') }}
)

select
    period_grain,
    period_start,
    slice_type,
    slice_value,
    count(*) as leads_created,
    {{ percentile('hours_to_assign', 0.5) }} as median_hours_to_assign,
    {{ percentile('hours_to_first_contact', 0.5) }} as median_hours_to_first_contact,
    {{ count_where("outcome = 'converted'") }} as converted,
    {{ count_where("outcome = 'refused'") }} as refused,
    {%- for reason in var('lead_refusal_reasons') %}
        {{ count_where("outcome = 'refused' and refusal_reason = '" ~ reason ~ "'") }} as refused_{{ reason }},
    {%- endfor %}
    {{ count_where("outcome = 'open'") }} as still_open,
    {{ safe_divide(count_where("outcome = 'converted'"), 'count(*)') }} as conversion,
    {{ count_where("wholesale_handoff is not null") }} as wholesale_refusals,
    {{ count_where("wholesale_handoff = 'done'") }} as wholesale_handed_over,
    {{ count_where("wholesale_handoff = 'missing'") }} as wholesale_not_handed_over
from in_periods
group by period_grain, period_start, slice_type, slice_value
