{#- How fct_process_kpis groups its events: per slice by day, then rolled up to weeks and months. -#}

{#- GROUPING SETS of `process` with each key (a list of columns) alone and with each slice, plus `extra`
    columns in every set. -#}
{% macro slice_grouping_sets(keys, slices, extra=[]) -%}
    grouping sets (
    {%- for key in keys %}
        ({{ (['process'] + key + extra) | join(', ') }})
        {%- for slice in slices %}, ({{ (['process'] + key + [slice] + extra) | join(', ') }}){% endfor %}
        {{- ',' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

{#- The rows of every grain from `daily` (one row per process, day `occurred_on` and slice): days with
    `day_measures`, weeks and months with `period_measures` (name: aggregate over the daily rows).
    `periods`: each grain's column and its expression in `occurred_on`; the other grains' columns are
    NULL, as in a grouping set. -#}
{% macro rolled_up_days(daily, periods, slices, day_measures, period_measures) -%}
    {%- for column, expression in periods.items() %}
    select
        process,
        {%- for other in periods %}
        {{ expression if other == column else 'cast(null as date)' }} as {{ other }},
        {%- endfor %}
        {{ slices | join(', ') }},
        {%- for name, aggregate in (day_measures if loop.first else period_measures).items() %}
        {{ aggregate }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ daily }}
    group by process, {{ expression }}, {{ slices | join(', ') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
