with employees as (
    select * from {{ ref('stg_employees') }}
)

select
    employees.employee_id,
    employees.team,
    employees.role,
    employees.hired_on,
    employees.left_on,
    (employees.hired_on is null or employees.hired_on <= as_of.as_of_date)
    and (employees.left_on is null or employees.left_on > as_of.as_of_date) as is_employed_at_as_of
from employees
cross join {{ ref('int_as_of') }} as as_of
