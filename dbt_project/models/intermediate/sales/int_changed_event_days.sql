{#- The days, per process, whose KPI rows an incremental run derives again (int_process_kpi_periods), as
    far as the process events held tell: the days of the events of the subjects the run derives again
    (int_changed_subjects), read before int_process_events replaces them (it names this model as a
    dependency for that), and the days of the events of clients and employees with a row in a load after
    the last build (their team or segment decides the events' slices). int_process_kpi_periods adds the
    days of the replacing events. The events are read by relation, not ref: a ref would make a cycle.
    Empty in a full refresh and on Spark, as int_changed_subjects. -#}
-- depends_on: {{ ref('int_changed_subjects') }}
{%- set held = adapter.get_relation(this.database, this.schema, 'int_process_events') if execute else none %}

with last_build as (
    {{ last_build() }}
),

changed_clients as (
    select clients.client_id
    from {{ source('raw', 'clients') }} as clients
    cross join last_build
    where clients._load_id > last_build.through_load
),

changed_employees as (
    select employees.employee_id
    from {{ source('raw', 'employees') }} as employees
    cross join last_build
    where employees._load_id > last_build.through_load
),

held as (
    {%- if held and not flags.FULL_REFRESH and target.type != 'spark' %}
        select
            process,
            occurred_on,
            subject_type,
            subject_id,
            client_id,
            employee_id
        from {{ held }}
        where process is not null
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as process,  -- noqa: RF04
            cast(null as date) as occurred_on,
            cast(null as {{ dbt.type_string() }}) as subject_type,
            cast(null as {{ dbt.type_string() }}) as subject_id,
            cast(null as {{ dbt.type_string() }}) as client_id,
            cast(null as {{ dbt.type_string() }}) as employee_id
        where 1 = 0  -- nothing held, or every day is derived again
    {%- endif %}
)

select distinct
    held.process,
    held.occurred_on
from held
left join {{ ref('int_changed_subjects') }} as changed
    on held.subject_type = changed.subject_type and held.subject_id = changed.subject_id
where changed.subject_id is not null
    or held.client_id in (select changed_clients.client_id from changed_clients)
    or held.employee_id in (select changed_employees.employee_id from changed_employees)
