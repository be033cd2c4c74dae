{#- The current version of each key of a raw table. Raw tables keep every version that differed in
    content (see pipelines/ingest/loader.py); the latest load wins, and within a file the last line.
    `where`: a condition on the raw rows (an incremental model's new loads). -#}
{% macro latest_version(table_name, key_columns, where=none) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _load_id desc, _line desc
            ) as version_rank
        from {{ source('raw', table_name) }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as versions
    where version_rank = 1
{%- endmacro %}
