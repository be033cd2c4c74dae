{#- Arithmetic shared by the marts, defined once. -#}

{#- A ratio that is NULL, never an error, when the denominator is 0 or NULL; in double precision
    (dbt.type_float() is a 32-bit float on DuckDB and Spark: 1/3 would read 0.33333334). -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0))
{%- endmacro %}

{#- The 64-bit floating point type: `double` on DuckDB, Spark and Trino. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double{%- endmacro %}

{% macro postgres__type_double() -%}double precision{%- endmacro %}

{#- A mean that is the same in every run on the same rows: engines sum doubles in whatever order their
    threads meet them, so a plain avg() could differ in the last digits from one run to the next; the
    sum of decimals is exact (each value is rounded to 1e-9 first). -#}
{% macro exact_mean(expression) -%}
    cast(avg(cast({{ expression }} as decimal(38, 9))) as {{ type_double() }})
{%- endmacro %}

{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile')(expression, fraction)) }}
{%- endmacro %}

{#- Ordered-set aggregate of SQL:2003 (DuckDB, Postgres, Spark 3.3+); NULLs are ignored. Exact on purpose:
    an engine with only an approximate one (Trino's approx_percentile) gets an error, not other medians. -#}
{% macro default__percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{#- How many rows meet a condition, as a bigint on every engine (a plain sum of 0/1 is a 128-bit
    integer on DuckDB, which some clients cannot read); a count skips the NULL of a non-match, and is
    faster than a sum over millions of rows. -#}
{% macro count_where(condition) -%}
    count(case when {{ condition }} then 1 end)
{%- endmacro %}

{#- One scope of int_identifier_quality (scope_type 'source' or 'id_type') as its own mart, the scope's
    value named after it: the by-source and by-type marts are this one projection. -#}
{% macro identifier_quality_for(scope_type) -%}
select
    scope_value as {{ scope_type }},
    identifier_rows,
    reliable_rows,
    reliability,
    stale_rows,
    stale_share,
    conflict_rows,
    collision_rows,
    warning_rows,
    unknown_type_rows
from {{ ref('int_identifier_quality') }}
where scope_type = '{{ scope_type }}'
{%- endmacro %}
