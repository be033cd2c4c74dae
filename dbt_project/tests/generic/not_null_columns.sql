{#- Fails on the NULLs of `columns`: one row per column that has any (column_name, null_values), and the
    failures it reports are the NULL values. A model's or seed's required columns in one test and one
    scan: dbt's not_null is a node per column, and each node costs dbt and Dagster about 30-50 ms
    whatever it reads (112 of them made 112 nodes, against 53 now; docs/performance.md). -#}
{% test not_null_columns(model, columns) %}
{{ config(fail_calc='coalesce(sum(null_values), 0)') }}
with counted as (
    select
        {%- for column in columns %}
        {{ count_where(column ~ ' is null') }} as null_values_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

{% for column in columns -%}
select
    '{{ column }}' as column_name,
    null_values_{{ loop.index }} as null_values
from counted
where null_values_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
{% endtest %}
