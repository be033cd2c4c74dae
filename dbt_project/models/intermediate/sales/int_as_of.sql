{#- The as-of date of the run: var as_of_date when given, else the latest business-local date of a
    sales event (lead, call, deal stage, contract signature). Everything after it is ignored; open cohorts and
    identifier staleness are measured from it. Identifier and analysis dates do not move it: the entity
    checks run after the sales models (and can be blocked by their expectations) without a cycle. -#}
{%- set as_of = var('as_of_date', none) -%}

with event_dates as (
    select max(started_on) as event_on from {{ ref('stg_calls') }}
    union all
    select max(entered_on) from {{ ref('stg_deal_stages') }}
    union all
    select max(signed_on) from {{ ref('stg_contracts') }}
    union all
    select max(created_on) from {{ ref('stg_leads') }}
)

select
    {%- if as_of %}
    max(cast('{{ as_of }}' as date)) as as_of_date
    {%- else %}
        max(event_on) as as_of_date
    {%- endif %}
from event_dates
