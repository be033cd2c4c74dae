{#- Leads with business-local times, latest version of each. -#}

with leads as (
    {{ latest_version('leads', ['lead_id']) }}
)

select
    lead_id,
    {{ to_business_time('created_at') }} as created_at,
    cast({{ to_business_time('created_at') }} as date) as created_on,
    source,
    client_id,
    {{ to_business_time('assigned_at') }} as assigned_at,
    assignee_id,
    {{ to_business_time('first_contact_at') }} as first_contact_at,
    status,
    {{ to_business_time('closed_at') }} as closed_at,
    cast({{ to_business_time('closed_at') }} as date) as closed_on,
    refusal_reason,
    refusal_note,
    {{ to_business_time('handed_to_wholesale_at') }} as handed_to_wholesale_at
from leads
