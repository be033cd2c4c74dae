with analyses as (
    {{ latest_version('entity_analyses', ['analysis_id']) }}
)

select
    analysis_id,
    client_id,
    {{ to_business_time('requested_at') }} as requested_at,
    {{ to_business_time('completed_at') }} as completed_at,
    analyst_id,
    decision
from analyses
