{#- Joins the texts of the conditions that hold with '; ', NULL when none holds. `reasons` is a list of
    [condition, text expression] pairs. Portable: CASE, concat and substr only. -#}
{% macro reasons_text(reasons) -%}
    {%- set parts = [] -%}
    {%- for condition, text in reasons -%}
        {%- do parts.append("case when " ~ condition ~ " then " ~ dbt.concat(["'; '", text]) ~ " else '' end") -%}
    {%- endfor -%}
    nullif(substr({{ dbt.concat(parts) }}, 3), '')
{%- endmacro %}

{#- The values of `expression` in a group joined by `separator` (a quoted literal), sorted by the list
    `order_by`, each value once if `distinct`. dbt.listagg ignores its order on Spark: lists of problems
    and clients must read the same on every engine. -#}
{% macro ordered_list(expression, separator, order_by, distinct=false) -%}
    {{ return(adapter.dispatch('ordered_list')(expression, separator, order_by, distinct)) }}
{%- endmacro %}

{% macro default__ordered_list(expression, separator, order_by, distinct) -%}
    {{ dbt.listagg(('distinct ' if distinct else '') ~ expression, separator, 'order by ' ~ order_by | join(', ')) }}
{%- endmacro %}

{#- Collect (keys..., value) structs, sort them (structs compare field by field), keep the values. -#}
{% macro spark__ordered_list(expression, separator, order_by, distinct) -%}
    {%- set fields = [] -%}
    {%- for key in order_by -%}{%- do fields.extend(["'k" ~ loop.index ~ "'", key]) -%}{%- endfor -%}
    {%- set values = 'transform(array_sort(collect_list(named_struct(' ~ fields | join(', ')
                     ~ ", 'value', " ~ expression ~ '))), item -> item.value)' -%}
    array_join({{ 'array_distinct(' ~ values ~ ')' if distinct else values }}, {{ separator }})
{%- endmacro %}
