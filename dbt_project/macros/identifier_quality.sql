{#- Identifier quality of each value of `group_column` (source, id_type...): rows, reliability and the
    counts of stale, conflicting, colliding and warned rows. Defined once for every summary. -#}
{% macro identifier_quality(group_column) -%}
select
    {{ group_column }},
    count(*) as identifier_rows,
    sum(case when is_reliable then 1 else 0 end) as reliable_rows,
    {{ safe_divide('sum(case when is_reliable then 1 else 0 end)', 'count(*)') }} as reliability,
    sum(case when is_stale then 1 else 0 end) as stale_rows,
    sum(case when has_conflict then 1 else 0 end) as conflict_rows,
    sum(case when has_collision then 1 else 0 end) as collision_rows,
    sum(case when has_warning then 1 else 0 end) as warning_rows,
    sum(case when not is_known_type then 1 else 0 end) as unknown_type_rows
from {{ ref('int_identifier_checks') }}
group by {{ group_column }}
{%- endmacro %}
