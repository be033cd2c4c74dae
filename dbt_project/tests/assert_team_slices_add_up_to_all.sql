-- Every process event counts in exactly one team (or `unknown`), so per process and period the team
-- slices must add up to the whole. A failure means events were lost or double-counted by the slicing.
with team_totals as (
    select
        process,
        period_grain,
        period_start,
        sum(inputs) as inputs,
        sum(results) as results
    from {{ ref('fct_process_kpis') }}
    where slice_type = 'team'
    group by process, period_grain, period_start
),

whole as (
    select
        process,
        period_grain,
        period_start,
        inputs,
        results
    from {{ ref('fct_process_kpis') }}
    where slice_type = 'all'
)

select
    whole.*,
    team_totals.inputs as team_inputs,
    team_totals.results as team_results
from whole
left join team_totals
    on whole.process = team_totals.process
        and whole.period_grain = team_totals.period_grain
        and whole.period_start = team_totals.period_start
where team_totals.inputs is null
    or team_totals.inputs <> whole.inputs
    or team_totals.results <> whole.results
