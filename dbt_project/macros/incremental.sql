{#- Incremental models (docs/performance.md): the large tables of call legs and calls take in only the
    loads newer than the ones they hold and replace the rows of the keys those loads touch; the event
    models replace the rows of the subjects int_changed_subjects lists, the KPI periods those of the
    days whose events changed (int_changed_event_days). Load ids only grow and raw rows
    are never deleted, so that equals a rebuild; what can change old rows
    (the time zone, the phone settings, the code) makes the pipeline pass --full-refresh
    (pipelines/build_state.py). Spark's Parquet tables have no DELETE: there every run
    computes the whole model and overwrites it. -#}

{% macro incremental_strategy() -%}
    {{ return('insert_overwrite' if target.type == 'spark' else 'delete+insert') }}
{%- endmacro %}

{#- True when this build of the model takes in only the new loads. -#}
{% macro loads_incrementally() -%}
    {{ return(is_incremental() and target.type != 'spark') }}
{%- endmacro %}

{#- The condition "the row came with a load newer than any the model holds". -#}
{% macro newer_loads(load_column='_load_id', held_column='load_id') -%}
    {{ load_column }} > (select coalesce(max({{ held_column }}), 0) from {{ this }})
{%- endmacro %}

{#- One row: the last load the last successful build of the incremental models took in (0 when none is
    recorded: then every load is new) and the as-of date it used (raw._incremental_basis, which the
    pipeline writes when a dbt step succeeds; the earliest of the models'). -#}
{% macro last_build() -%}
    {%- set basis = load_relation(source('raw', '_incremental_basis')) if execute else none %}
    select
        {{ 'coalesce(min(through_load), 0)' if basis else '0' }} as through_load,
        {{ 'min(as_of_date)' if basis else 'cast(null as date)' }} as as_of_date
    {{ 'from ' ~ basis if basis else '' }}
{%- endmacro %}

{#- The condition "the row's subject is one int_changed_subjects lists" when the model takes in only
    new loads, else true; `subject_type` and `subject_id` are SQL expressions of the row. The model names the dependency
    (`-- depends_on: {{ ref('int_changed_subjects') }}`): dbt does not see a ref it did not render. -#}
{% macro of_changed_subjects(subject_type, subject_id) -%}
    {%- if loads_incrementally() -%}
    ({{ subject_type }}, {{ subject_id }}) in (select subject_type, subject_id from {{ ref('int_changed_subjects') }})
    {%- else -%}
    1 = 1
    {%- endif -%}
{%- endmacro %}

{#- The condition "`day` (a date expression) is in the range of days to derive again" (vars rebuild_from
    and rebuild_through, dates set together by the pipeline); false when none is asked for. -#}
{% macro in_days_to_rebuild(day) -%}
    {%- if var('rebuild_from', '') and var('rebuild_through', '') -%}
    {{ day }} between cast('{{ var("rebuild_from") }}' as date) and cast('{{ var("rebuild_through") }}' as date)
    {%- else -%}
    1 = 0
    {%- endif -%}
{%- endmacro %}
