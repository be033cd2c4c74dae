{#- The identifier work list: one row per identifier observation with its verdicts and problems. -#}
select
    client_id,
    id_type,
    id_value,
    normalized_value,
    source,
    observed_at,
    is_known_type,
    is_reliable,
    is_stale,
    has_conflict,
    has_collision,
    has_warning,
    problems
from {{ ref('int_identifier_checks') }}
