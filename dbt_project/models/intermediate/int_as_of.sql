{#- The as-of date of the run: var as_of_date when given, else the latest business-local date of any
    event in the data. Everything after it is ignored; open cohorts and staleness are measured from it. -#}
{%- set as_of = var('as_of_date', none) -%}

with event_dates as (
    select max(started_on) as event_on from {{ ref('stg_calls') }}
    union all
    select max(entered_on) from {{ ref('stg_deal_stages') }}
    union all
    select max(signed_on) from {{ ref('stg_contracts') }}
    union all
    select max(cast(requested_at as date)) from {{ ref('stg_entity_analyses') }}
    union all
    select max(cast(completed_at as date)) from {{ ref('stg_entity_analyses') }}
    union all
    select max(observed_on) from {{ ref('stg_entity_identifiers') }}
)

select
    {%- if as_of %}
    max(cast('{{ as_of }}' as date)) as as_of_date
    {%- else %}
    max(event_on) as as_of_date
    {%- endif %}
from event_dates
