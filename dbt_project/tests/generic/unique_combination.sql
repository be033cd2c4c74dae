{#- Fails on every combination of the columns that occurs more than once: the grain of a model.

    For an incremental model (macros/incremental.sql) an incremental build checks only the
    combinations of the rows it wrote, against the whole table: the rows it kept were checked when
    they were written, and grouping 15M keys each night cost seconds. The rows it wrote:
    `written_with_load`, a column noting the load a row came with or was written in, newer than the
    last build's; or `of_changed_subjects`, the rows of the subjects int_changed_subjects lists. A full
    refresh and Spark check every row. -#}
{% test unique_combination(model, combination, written_with_load=none, of_changed_subjects=false) %}
{%- set columns = combination | join(', ') %}
{%- set changed_subjects = ref('int_changed_subjects') if of_changed_subjects else none %}
{%- set checks_written_only = (written_with_load or of_changed_subjects)
    and not flags.FULL_REFRESH and target.type != 'spark' %}
{%- if checks_written_only %}
with
{%- if written_with_load %}
last_build as (
    {{ last_build() }}
),
{%- endif %}

written as (
    select {{ columns }}
    from {{ model }}
    {%- if written_with_load %}
    where {{ written_with_load }} > (select through_load from last_build)
    {%- else %}
    where (subject_type, subject_id) in (select subject_type, subject_id from {{ changed_subjects }})
    {%- endif %}
)

{% endif -%}
select {{ columns }}, count(*) as occurrences
from {{ model }}
{%- if checks_written_only %}
where ({{ columns }}) in (select {{ columns }} from written)
{%- endif %}
group by {{ columns }}
having count(*) > 1
{% endtest %}
