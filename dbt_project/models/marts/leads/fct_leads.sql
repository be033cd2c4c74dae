{#- One row per lead (docs/metrics.md section 8): how fast it was assigned and first contacted, how it ended,
    and the lapses that put it at risk at the as-of date. -#}

select
    lead_id,
    created_at,
    source,
    client_id,
    assignee_id,
    team,
    assigned_at,
    first_contact_at,
    hours_to_assign,
    hours_to_first_contact,
    outcome,
    closed_at,
    refusal_reason,
    refusal_note,
    is_unassigned,
    is_never_contacted,
    has_no_open_callback,
    has_overdue_callback,
    wholesale_handoff,
    hours_to_handoff
from {{ ref('int_leads') }}
