{#- How long a new-entity analysis takes by the number of identifiers involved: the survey's split
    (`<=4`, `>4`) and a finer one. Completed analyses give the durations; open ones are counted apart. -#}

with analyses as (
    select * from {{ ref('int_entity_analyses') }}
),

bucketed as (
    select 'survey' as bucket_scheme, identifier_bucket as bucket, analyses.* from analyses
    union all
    select 'fine', identifier_bucket_fine, analyses.* from analyses
)

select
    bucket_scheme,
    bucket as identifier_bucket,
    {{ count_where("not is_open") }} as completed_analyses,
    avg(duration_days) as mean_days,
    {{ percentile('duration_days', 0.5) }} as median_days,
    avg(duration_weeks) as mean_weeks,
    {{ percentile('duration_weeks', 0.5) }} as median_weeks,
    {{ count_where("is_open") }} as open_analyses,
    avg(age_days) as mean_open_age_days
from bucketed
group by bucket_scheme, bucket
