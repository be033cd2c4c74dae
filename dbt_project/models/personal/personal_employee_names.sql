{#- Employees' names, kept beside the raw rows they come from and nowhere downstream. -#}

with employees as (
    {{ latest_version('employees', ['employee_id']) }}
)

select
    employee_id,
    full_name
from employees
