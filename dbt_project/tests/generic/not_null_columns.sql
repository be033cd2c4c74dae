{#- Fails on the NULLs of `columns`: one row per column that has any (column_name, null_values), and the
    failures it reports are the NULL values. A model's or seed's required columns in one test: dbt's
    not_null is a node per column, and each node costs dbt and Dagster about 30-50 ms whatever it reads
    (112 of them were 112 nodes, against 53 now; docs/performance.md). Each column is its own
    `is null` filter, not one scan counting NULLs: DuckDB answers the filter from its row groups'
    statistics (1 ms for 10M call legs), and counting read every value (0.2-0.3 s). -#}
{% test not_null_columns(model, columns) %}
{{ config(fail_calc='coalesce(sum(null_values), 0)') }}
select
    column_name,
    null_values
from (
    {%- for column in columns %}
    select
        '{{ column }}' as column_name,
        count(*) as null_values
    from {{ model }}
    where {{ column }} is null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
) as counted
where null_values > 0
{% endtest %}
