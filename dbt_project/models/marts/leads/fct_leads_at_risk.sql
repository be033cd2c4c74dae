{#- The leads at risk of being lost at the end of the as-of date, the list a manager works through in the
    morning (docs/metrics.md section 8): open and unassigned; assigned but never contacted; contacted with no
    callback planned; a callback overdue. `since` is when the lapse began. -#}

with leads as (
    select * from {{ ref('int_leads') }}
),

risks as (
    select
        lead_id,
        'unassigned' as risk,
        created_at as since
    from leads
    where is_unassigned
    union all
    select
        lead_id,
        'never_contacted',
        assigned_at
    from leads
    where is_never_contacted
    union all
    select
        lead_id,
        'no_callback_planned',
        last_touched_at
    from leads
    where has_no_open_callback
    union all
    select
        lead_id,
        'callback_overdue',
        overdue_since
    from leads
    where has_overdue_callback
)

select
    risks.lead_id,
    leads.assignee_id,
    leads.team,
    risks.risk,
    risks.since,
    {{ hours_between('risks.since', 'leads.as_of_end') }} as age_hours,
    leads.created_at,
    leads.source,
    leads.client_id
from risks
inner join leads on risks.lead_id = leads.lead_id
