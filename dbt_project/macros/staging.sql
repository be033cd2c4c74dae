{#- The current version of each key of a raw table. Raw tables keep every version that differed in
    content (see pipelines/ingest/loader.py); the latest load wins, and within a file the last line. -#}
{% macro latest_version(table_name, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _load_id desc, _line desc
            ) as version_rank
        from {{ source('raw', table_name) }}
    ) as versions
    where version_rank = 1
{%- endmacro %}
