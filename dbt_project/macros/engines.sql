{#- How a Spark build meets the DuckDB warehouse (docs/scale-out.md). The pipeline writes every source
    table as Parquet to <SALESFUNNEL_SPARK_EXCHANGE_URI>/<schema>/<table>; the run-start hook makes them
    Spark tables, the run-end hook writes back each model and seed built, for the pipeline to load into
    the DuckDB file. On DuckDB both hooks do nothing: the sources are already there. -#}

{% macro register_sources() -%}
    {{ return(adapter.dispatch('register_sources')()) }}
{%- endmacro %}

{% macro default__register_sources() -%}{%- endmacro %}

{% macro spark__register_sources() -%}
    {%- if execute -%}
        {%- for source in graph.sources.values() -%}
            {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {#- Dropping an external table leaves its files; the new one lists the files landed now. -#}
            {%- do run_query('drop table if exists ' ~ source.schema ~ '.' ~ source.identifier) -%}
            {%- do run_query('create table ' ~ source.schema ~ '.' ~ source.identifier ~ ' using parquet location '
                             ~ exchange_location(source.schema, source.identifier)) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{% macro export_built(results) -%}
    {{ return(adapter.dispatch('export_built')(results)) }}
{%- endmacro %}

{% macro default__export_built(results) -%}{%- endmacro %}

{% macro spark__export_built(results) -%}
    {%- if execute -%}
        {%- for result in results
              if result.status == 'success' and result.node.resource_type in ('model', 'seed') -%}
            {%- do run_query('insert overwrite directory ' ~ exchange_location(result.node.schema, result.node.alias)
                             ~ ' using parquet select * from ' ~ result.node.schema ~ '.' ~ result.node.alias) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- The quoted folder of one table in the exchange location. -#}
{% macro exchange_location(schema, table) -%}
    '{{ env_var("SALESFUNNEL_SPARK_EXCHANGE_URI") }}/{{ schema }}/{{ table }}'
{%- endmacro %}

{#- Seeds on Spark as literals: dbt-spark's session cursor puts each value between quotes unescaped, so an
    empty cell became the text 'None' and an apostrophe broke the statement. -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for column_name in agate_table.column_names -%}
                    cast({{ seed_literal(row[loop.index0]) }} as {{ column_override.get(column_name, adapter.convert_type(agate_table, loop.index0)) }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}){%- if not loop.last %},{% endif %}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{%- endmacro %}

{% macro seed_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is boolean -%}{{ 'true' if value else 'false' }}
    {%- elif value is number -%}{{ value }}
    {%- else -%}'{{ (value | string).replace('\\', '\\\\').replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
