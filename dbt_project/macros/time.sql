{#- Time helpers shared by every model. Raw timestamps are UTC without a zone; analysis happens in
    business-local time (var business_tz), where days, ISO weeks and months are cut. -#}

{% macro to_business_time(utc_timestamp) -%}
    {{ return(adapter.dispatch('to_business_time')(utc_timestamp)) }}
{%- endmacro %}

{#- SQL standard AT TIME ZONE: the first turns the UTC wall time into an instant, the second into the
    business zone's wall time. DuckDB, Postgres and Trino accept it. -#}
{% macro default__to_business_time(utc_timestamp) -%}
    cast((({{ utc_timestamp }}) at time zone 'UTC') at time zone '{{ var("business_tz") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro spark__to_business_time(utc_timestamp) -%}
    from_utc_timestamp({{ utc_timestamp }}, '{{ var("business_tz") }}')
{%- endmacro %}

{#- Cast before dividing: `x / 3600.0` is a decimal on Spark. -#}
{% macro hours_between(start_ts, end_ts) -%}
    (cast({{ dbt.datediff(start_ts, end_ts, 'second') }} as {{ type_double() }}) / 3600)
{%- endmacro %}

{#- The reporting grains, as rows to cross join. -#}
{% macro period_grains() -%}
    select 'day' as period_grain
    union all select 'week' as period_grain
    union all select 'month' as period_grain
{%- endmacro %}

{#- Start of the period of grain `grain_column` containing `date_expr`; weeks are ISO weeks (Monday). -#}
{% macro period_start(grain_column, date_expr) -%}
    case {{ grain_column }}
        when 'day' then cast({{ date_expr }} as date)
        when 'week' then cast({{ dbt.date_trunc('week', date_expr) }} as date)
        when 'month' then cast({{ dbt.date_trunc('month', date_expr) }} as date)
    end
{%- endmacro %}

{#- First day after the period of grain `grain_column` starting at `start_expr`. -#}
{% macro period_end(grain_column, start_expr) -%}
    case {{ grain_column }}
        when 'day' then cast({{ dbt.dateadd('day', 1, start_expr) }} as date)
        when 'week' then cast({{ dbt.dateadd('day', 7, start_expr) }} as date)
        when 'month' then cast({{ dbt.dateadd('month', 1, start_expr) }} as date)
    end
{%- endmacro %}

{#- ISO day of the week of a date: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(date_expr) -%}
    {{ return(adapter.dispatch('iso_weekday')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_weekday(date_expr) -%}
    extract(isodow from {{ date_expr }})
{%- endmacro %}

{#- Spark's dayofweek counts from Sunday = 1. -#}
{% macro spark__iso_weekday(date_expr) -%}
    ((dayofweek({{ date_expr }}) + 5) % 7 + 1)
{%- endmacro %}

{#- The next working day (Monday to Friday; public holidays are not modelled) after a date. -#}
{% macro next_working_day(date_expr) -%}
    cast({{ dbt.dateadd('day', 'case ' ~ iso_weekday(date_expr) ~ ' when 5 then 3 when 6 then 2 else 1 end',
                        date_expr) }} as date)
{%- endmacro %}

{#- The reporting periods (grain, start) of the calendar: every day, ISO week and month from the first
    sales event to the as-of date. -#}
{% macro calendar_periods() -%}
    select distinct 'day' as period_grain, day as period_start from {{ ref('int_calendar_days') }}
    union all
    select distinct 'week', week_start from {{ ref('int_calendar_days') }}
    union all
    select distinct 'month', month_start from {{ ref('int_calendar_days') }}
{%- endmacro %}

{#- Midnight after the as-of date, business-local: "now" for ages and overdue checks. -#}
{% macro end_of_as_of(as_of_date) -%}
    cast({{ dbt.dateadd('day', 1, as_of_date) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- The rows of `relation` once in each period (day, ISO week, month) of `date_expr`, and once more in
    the all-time period (`all`, period_start NULL), where rows without a date count too. -#}
{% macro in_each_period(relation, date_expr) -%}
    select grains.period_grain, {{ period_start('grains.period_grain', date_expr) }} as period_start, {{ relation }}.*
    from {{ relation }}
    cross join ({{ period_grains() }}) as grains
    where {{ date_expr }} is not null
    union all
    select 'all' as period_grain, cast(null as date) as period_start, {{ relation }}.*
    from {{ relation }}
{%- endmacro %}

{#- Period starts are equal, the all-time period's NULL included. -#}
{% macro same_period_start(left, right) -%}
    coalesce({{ left }}, cast('1900-01-01' as date)) = coalesce({{ right }}, cast('1900-01-01' as date))
{%- endmacro %}

{#- Whole days from one date to another, as a bigint on every engine (Spark's datediff is an int). -#}
{% macro days_between(start_date, end_date) -%}
    cast({{ dbt.datediff(start_date, end_date, 'day') }} as {{ dbt.type_bigint() }})
{%- endmacro %}
