{#- New-entity analyses (docs/metrics.md section 5) with their duration (completed) or age at the as-of
    date (open), and the number of distinct identifiers known for the entity, bucketed by the seed
    identifier_count_buckets (the survey's split and a finer one). Validated by the Great Expectations
    suite `entity_analyses`. -#}

with analyses as (
    select * from {{ ref('stg_entity_analyses') }}
),

identifier_counts as (
    select
        client_id,
        count(distinct {{ dbt.concat(['id_type', "':'", 'normalized_value']) }}) as identifier_count
    from {{ ref('int_identifier_checks') }}
    group by client_id
),

measured as (
    select
        analyses.analysis_id,
        analyses.client_id,
        analyses.analyst_id,
        analyses.decision,
        analyses.requested_at,
        analyses.completed_at,
        clients.client_id is not null as is_known_client,
        analyses.completed_at is null as is_open,
        {{ hours_between('analyses.requested_at', 'analyses.completed_at') }} / 24.0 as duration_days,
        case when analyses.completed_at is null
                then {{ days_between('cast(analyses.requested_at as date)', 'as_of.as_of_date') }}
        end as age_days,
        coalesce(identifier_counts.identifier_count, 0) as identifier_count
    from analyses
    cross join {{ ref('int_as_of') }} as as_of
    left join identifier_counts on analyses.client_id = identifier_counts.client_id
    left join {{ ref('stg_clients') }} as clients on analyses.client_id = clients.client_id
    where cast(analyses.requested_at as date) <= as_of.as_of_date
),

buckets as (
    select * from {{ ref('identifier_count_buckets') }}
)

select
    measured.*,
    survey.identifier_bucket,
    fine.identifier_bucket as identifier_bucket_fine,
    measured.duration_days / 7.0 as duration_weeks
from measured
left join buckets as survey
    on survey.bucket_scheme = 'survey' and measured.identifier_count >= survey.min_identifiers
        and (survey.max_identifiers is null or measured.identifier_count <= survey.max_identifiers)
left join buckets as fine
    on fine.bucket_scheme = 'fine' and measured.identifier_count >= fine.min_identifiers
        and (fine.max_identifiers is null or measured.identifier_count <= fine.max_identifiers)
