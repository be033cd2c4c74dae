{#- Each lead as it stood at the end of the as-of date (docs/metrics.md section 8): assigned, contacted, open
    or closed, its callbacks, and the lapses that put it at risk of being lost. A lead closed or assigned
    after the as-of date was open or unassigned then. -#}

with as_of as (
    select
        as_of_date,
        {{ end_of_as_of('as_of_date') }} as as_of_end
    from {{ ref('int_as_of') }}
),

leads as (
    select
        leads.*,
        as_of.as_of_end
    from {{ ref('stg_leads') }} as leads
    cross join as_of
    where leads.created_on <= as_of.as_of_date
),

callbacks as (
    select callbacks.*
    from {{ ref('stg_lead_callbacks') }} as callbacks
    cross join as_of
    where callbacks.set_at < as_of.as_of_end
),

callback_state as (
    select
        callbacks.lead_id,
        {{ count_where('callbacks.done_at is null or callbacks.done_at >= as_of.as_of_end') }} as open_callbacks,
        min(case when (callbacks.done_at is null or callbacks.done_at >= as_of.as_of_end)
                and callbacks.planned_at < as_of.as_of_end then callbacks.planned_at
        end) as overdue_since,
        max(case when callbacks.done_at < as_of.as_of_end then callbacks.done_at end) as last_callback_done_at
    from callbacks
    cross join as_of
    group by callbacks.lead_id
),

states as (
    select
        leads.*,
        leads.assigned_at is not null and leads.assigned_at < leads.as_of_end as is_assigned,
        leads.first_contact_at is not null and leads.first_contact_at < leads.as_of_end as is_contacted,
        case when leads.status <> 'open' and leads.closed_at < leads.as_of_end then leads.status else 'open' end
            as outcome,
        leads.refusal_reason in ({{ "'" ~ var('wholesale_loss_reasons') | join("', '") ~ "'" }})
            as is_wholesale_refusal,
        coalesce(callback_state.open_callbacks, 0) as open_callbacks,
        callback_state.overdue_since,
        callback_state.last_callback_done_at
    from leads
    left join callback_state on leads.lead_id = callback_state.lead_id
)

select
    states.lead_id,
    states.created_at,
    states.created_on,
    states.source,
    states.client_id,
    states.assignee_id,
    employees.team,
    states.assigned_at,
    states.first_contact_at,
    case when states.is_assigned then {{ hours_between('states.created_at', 'states.assigned_at') }} end
        as hours_to_assign,
    case when states.is_contacted then {{ hours_between('states.assigned_at', 'states.first_contact_at') }} end
        as hours_to_first_contact,
    states.outcome,
    case when states.outcome <> 'open' then states.closed_at end as closed_at,
    case when states.outcome = 'refused' then states.refusal_reason end as refusal_reason,
    case when states.outcome = 'refused' then states.refusal_note end as refusal_note,
    states.outcome = 'open' and not states.is_assigned as is_unassigned,
    states.outcome = 'open' and states.is_assigned and not states.is_contacted as is_never_contacted,
    states.outcome = 'open' and states.is_contacted and states.open_callbacks = 0 as has_no_open_callback,
    states.outcome = 'open' and states.overdue_since is not null as has_overdue_callback,
    states.overdue_since,
    case
        when states.last_callback_done_at > states.first_contact_at then states.last_callback_done_at
        else states.first_contact_at
    end as last_touched_at,
    case
        when states.outcome = 'refused' and states.is_wholesale_refusal then
            case when states.handed_to_wholesale_at < states.as_of_end then 'done' else 'missing' end
    end as wholesale_handoff,
    case when states.outcome = 'refused' and states.is_wholesale_refusal then
            {{ hours_between('states.closed_at', 'states.handed_to_wholesale_at') }}
    end as hours_to_handoff,
    {{ hours_between('states.created_at', 'states.as_of_end') }} as age_hours,
    states.as_of_end
from states
left join {{ ref('stg_employees') }} as employees on states.assignee_id = employees.employee_id
