with employees as (
    {{ latest_version('employees', ['employee_id']) }}
)

select
    employee_id,
    full_name,
    team,
    role,
    hired_on,
    left_on
from employees
