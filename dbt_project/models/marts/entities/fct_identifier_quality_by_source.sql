{#- Identifier quality per source, as int_identifier_quality defines it. -#}

select
    scope_value as source,
    identifier_rows,
    reliable_rows,
    reliability,
    stale_rows,
    stale_share,
    conflict_rows,
    collision_rows,
    warning_rows,
    unknown_type_rows
from {{ ref('int_identifier_quality') }}
where scope_type = 'source'
