{#- The roster without names: they stay in schema raw (personal_employee_names). -#}

with employees as (
    {{ latest_version('employees', ['employee_id']) }}
)

select
    employee_id,
    team,
    role,
    hired_on,
    left_on
from employees
