{#- How calls found their client, per month and direction: by the id the source gave, by the phone
    number, or not at all (and why). -#}

with calls as (
    select calls.*
    from {{ ref('int_calls') }} as calls
    cross join {{ ref('int_as_of') }} as as_of
    where calls.started_on <= as_of.as_of_date
)

select
    cast({{ dbt.date_trunc('month', 'started_on') }} as date) as month_start,
    direction,
    count(*) as calls,
    {{ count_where("client_link = 'id'") }} as linked_by_id,
    {{ count_where("client_link = 'phone'") }} as linked_by_phone,
    {{ count_where("client_link not in ('id', 'phone')") }} as unlinked,
    {{ count_where("client_link = 'ambiguous_phone'") }} as unlinked_ambiguous_phone,
    {{ count_where("client_link = 'unknown_phone'") }} as unlinked_unknown_phone,
    {{ count_where("client_link = 'no_phone'") }} as unlinked_no_phone
from calls
group by {{ dbt.date_trunc('month', 'started_on') }}, direction
