{#- Identifier quality per id_type, as int_identifier_quality defines it. -#}

select
    scope_value as id_type,
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
where scope_type = 'id_type'
