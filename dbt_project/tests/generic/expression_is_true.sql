{#- Fails on every row where the expression is false: invariants such as `cohort_conversions <= inputs`.
    (dbt_utils has the same test; this project installs no dbt packages, so it runs offline.) -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
