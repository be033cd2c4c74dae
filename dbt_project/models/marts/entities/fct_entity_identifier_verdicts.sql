{#- One verdict per entity: all its identifiers valid and consistent, or the list of problems. This is
    what the compliance team reads when a new entity's identifiers land. -#}

with checks as (
    select * from {{ ref('int_identifier_checks') }}
),

per_entity as (
    select
        client_id,
        count(*) as identifier_rows,
        count(distinct {{ dbt.concat(['id_type', "':'", 'normalized_value']) }}) as distinct_identifiers,
        {{ count_where("is_reliable") }} as reliable_rows,
        {{ count_where("is_stale") }} as stale_rows,
        count(distinct case when has_conflict then id_type end) as conflicting_types,
        {{ count_where("has_collision") }} as collision_rows,
        {{ count_where("has_warning") }} as warning_rows,
        max(observed_at) as last_observed_at
    from checks
    group by client_id
),

problem_lists as (
    select
        client_id,
        {{ ordered_list(dbt.concat(['id_type', "' '", 'id_value', "' ('", 'source', "'): '", 'problems']),
                        "' | '", ['id_type', 'id_value', 'source']) }} as problems
    from checks
    where problems is not null
    group by client_id
)

select
    per_entity.*,
    clients.client_type,
    problem_lists.problems,
    case when problem_lists.problems is null then 'valid' else 'problems' end as verdict
from per_entity
left join problem_lists on per_entity.client_id = problem_lists.client_id
left join {{ ref('stg_clients') }} as clients on per_entity.client_id = clients.client_id
