{#- Joins the texts of the conditions that hold with '; ', NULL when none holds. `reasons` is a list of
    [condition, text expression] pairs. Portable: CASE, concat and substr only. -#}
{% macro reasons_text(reasons) -%}
    {%- set parts = [] -%}
    {%- for condition, text in reasons -%}
        {%- do parts.append("case when " ~ condition ~ " then " ~ dbt.concat(["'; '", text]) ~ " else '' end") -%}
    {%- endfor -%}
    nullif(substr({{ dbt.concat(parts) }}, 3), '')
{%- endmacro %}
