{#- Arithmetic shared by the marts, defined once. -#}

{#- A ratio that is NULL, never an error, when the denominator is 0 or NULL. -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ dbt.type_float() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}

{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile')(expression, fraction)) }}
{%- endmacro %}

{#- Ordered-set aggregate of SQL:2003 (DuckDB, Postgres, Spark 3.3+); NULLs are ignored. -#}
{% macro default__percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro trino__percentile(expression, fraction) -%}
    approx_percentile({{ expression }}, {{ fraction }})
{%- endmacro %}
