{#- One row per new-entity analysis: duration (completed) or age (open) and identifier count. -#}
select
    analysis_id,
    client_id,
    analyst_id,
    decision,
    requested_at,
    completed_at,
    is_open,
    duration_days,
    duration_weeks,
    age_days,
    identifier_count,
    identifier_bucket,
    identifier_bucket_fine
from {{ ref('int_entity_analyses') }}
