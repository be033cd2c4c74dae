{#- Identifier quality (docs/metrics.md section 4) over all rows, per source and per id_type: rows,
    reliability = reliable rows / rows, stale share and the counts of conflicting, colliding, warned and
    unknown-type rows. Defined here once: the marts fct_identifier_quality_by_* select from it, the Great
    Expectations suite `identifier_quality` checks its columns, and quality/identifier_quality_history
    keeps it run by run. A row without a source counts under source `unknown`. -#}
{%- set scopes = {'all': "'all'", 'source': "coalesce(source, 'unknown')", 'id_type': 'id_type'} -%}

with checks as (
    select * from {{ ref('int_identifier_checks') }}
)

{% for scope_type, scope_column in scopes.items() %}
    select
        '{{ scope_type }}' as scope_type,
        {{ scope_column }} as scope_value,
        count(*) as identifier_rows,
        {{ count_where("is_reliable") }} as reliable_rows,
        {{ safe_divide(count_where('is_reliable'), 'count(*)') }} as reliability,
        {{ count_where("is_stale") }} as stale_rows,
        {{ safe_divide(count_where('is_stale'), 'count(*)') }} as stale_share,
        {{ count_where("has_conflict") }} as conflict_rows,
        {{ count_where("has_collision") }} as collision_rows,
        {{ count_where("has_warning") }} as warning_rows,
        {{ count_where("not is_known_type") }} as unknown_type_rows
    from checks
    {% if scope_type != 'all' %}group by {{ scope_column }}{% endif %}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
