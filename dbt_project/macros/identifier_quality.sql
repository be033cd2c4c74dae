{#- Identifier quality of each value of `group_column` (source, id_type...): rows, reliability and the
    counts of stale, conflicting, colliding and warned rows. Defined once for every summary. -#}
{% macro identifier_quality(group_column) -%}
select
    {{ group_column }},
    count(*) as identifier_rows,
    {{ count_where("is_reliable") }} as reliable_rows,
    {{ safe_divide(count_where('is_reliable'), 'count(*)') }} as reliability,
    {{ count_where("is_stale") }} as stale_rows,
    {{ count_where("has_conflict") }} as conflict_rows,
    {{ count_where("has_collision") }} as collision_rows,
    {{ count_where("has_warning") }} as warning_rows,
    {{ count_where("not is_known_type") }} as unknown_type_rows
from {{ ref('int_identifier_checks') }}
group by {{ group_column }}
{%- endmacro %}
