{#- How long a new-entity analysis takes by the number of identifiers involved, in every bucket of the
    seed identifier_count_buckets (the survey's split `<=4`, `>4` with the survey's mean weeks, and a
    finer one), empty buckets included. Completed analyses give the durations; open ones are counted
    apart. -#}

with analyses as (
    select * from {{ ref('int_entity_analyses') }}
),

buckets as (
    select * from {{ ref('identifier_count_buckets') }}
),

bucketed as (
    select
        'survey' as bucket_scheme,
        analyses.identifier_bucket,
        analyses.*
    from analyses
    union all
    select
        'fine',
        analyses.identifier_bucket_fine,
        analyses.*
    from analyses
)

select
    buckets.bucket_scheme,
    buckets.identifier_bucket,
    buckets.bucket_order,
    buckets.survey_mean_weeks,
    {{ count_where("bucketed.analysis_id is not null and not bucketed.is_open") }} as completed_analyses,
    {{ exact_mean('bucketed.duration_days') }} as mean_days,
    {{ percentile('bucketed.duration_days', 0.5) }} as median_days,
    {{ exact_mean('bucketed.duration_weeks') }} as mean_weeks,
    {{ percentile('bucketed.duration_weeks', 0.5) }} as median_weeks,
    {{ count_where("bucketed.is_open") }} as open_analyses,
    {{ exact_mean('bucketed.age_days') }} as mean_open_age_days
from buckets
left join bucketed
    on buckets.bucket_scheme = bucketed.bucket_scheme and buckets.identifier_bucket = bucketed.identifier_bucket
group by buckets.bucket_scheme, buckets.identifier_bucket, buckets.bucket_order, buckets.survey_mean_weeks
