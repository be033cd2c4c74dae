-- The floor: the month-grain process KPIs (slices all, team, employee: inputs, results, efficiency,
-- cohort conversion, participants, productivity, FTE, median and 90th percentile hours to result,
-- dials, reach rate) and the client funnel, computed from the canonical demo files by one hand-written
-- DuckDB script in one process, as fast as we know how. It follows docs/metrics.md and the pipeline's rules
-- (latest row of a key, rows that break a rule dropped, legs of a call merged, calls linked to clients
-- by phone, undated stages out of period KPIs) so that its numbers can be compared with the marts.
-- {landing}, {tz} and {as_of} are filled in by benchmarks/floor.py; the session time zone is {tz}.

CREATE TEMP TABLE calls_raw AS
SELECT * FROM read_csv('{landing}/calls.csv', all_varchar = true, header = true);
CREATE TEMP TABLE legs AS
WITH typed AS (
    SELECT DISTINCT
        call_id, nullif(linked_id, '') AS linked_id,
        timezone('{tz}', try_cast(started_at AS TIMESTAMPTZ)) AS started_at,
        lower(direction) AS direction, nullif(employee_id, '') AS employee_id, nullif(client_id, '') AS client_id,
        nullif(client_phone, '') AS client_phone, upper(disposition) AS disposition,
        try_cast(duration_s AS BIGINT) AS duration_s, nullif(lower(outcome), '') AS outcome
    FROM calls_raw
)
SELECT * FROM typed
WHERE started_at IS NOT NULL AND call_id IS NOT NULL
  AND direction IN ('outbound', 'inbound') AND disposition IN ('ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED')
  AND (outcome IS NULL OR outcome IN ('meeting_agreed', 'callback', 'refused', 'no_decision'))
  AND NOT coalesce(duration_s < 0, false) AND NOT (outcome IS NOT NULL AND disposition <> 'ANSWERED');

-- Phone numbers as E.164 for the demo's Russian numbers: digits only, a leading 8 is the national prefix.
CREATE MACRO e164(p) AS CASE
    WHEN length(regexp_replace(p, '[^0-9]', '', 'g')) = 11 AND regexp_replace(p, '[^0-9]', '', 'g')[1] IN ('7', '8')
        THEN '+7' || regexp_replace(p, '[^0-9]', '', 'g')[2:]
    WHEN length(regexp_replace(p, '[^0-9]', '', 'g')) = 10 THEN '+7' || regexp_replace(p, '[^0-9]', '', 'g')
END;

CREATE TEMP TABLE clients AS
SELECT DISTINCT ON (client_id) client_id, phone FROM read_csv('{landing}/clients.csv', all_varchar = true)
ORDER BY client_id;
CREATE TEMP TABLE phone_owners AS
SELECT phone, min(client_id) AS client_id, count(DISTINCT client_id) AS clients
FROM (SELECT client_id, e164(trim(unnest(string_split(phone, ';')))) AS phone FROM clients WHERE phone <> '')
WHERE phone IS NOT NULL GROUP BY phone;

CREATE TEMP TABLE calls AS
WITH ranked AS (
    SELECT *, coalesce(linked_id, call_id) AS call_key,
        row_number() OVER (PARTITION BY coalesce(linked_id, call_id) ORDER BY started_at, call_id) AS leg_order,
        row_number() OVER (PARTITION BY coalesce(linked_id, call_id)
                           ORDER BY disposition = 'ANSWERED' DESC, employee_id IS NULL, started_at, call_id) AS answer_order
    FROM legs
), merged AS (
    SELECT call_key AS call_id, min(started_at) AS started_at,
        max(direction) FILTER (leg_order = 1) AS direction,
        max(employee_id) FILTER (answer_order = 1) AS employee_id,
        max(client_id) AS client_id, max(e164(client_phone)) AS phone,
        bool_or(disposition = 'ANSWERED') AS is_answered,
        max(outcome) FILTER (answer_order = 1) AS outcome
    FROM ranked GROUP BY call_key
)
SELECT merged.* EXCLUDE (client_id, phone),
    coalesce(merged.client_id, CASE WHEN owners.clients = 1 THEN owners.client_id END) AS client_id
FROM merged LEFT JOIN phone_owners AS owners ON owners.phone = merged.phone;

CREATE TEMP TABLE stages AS
SELECT DISTINCT deal_id, nullif(client_id, '') AS client_id, lower(stage) AS stage,
    timezone('{tz}', try_cast(entered_at AS TIMESTAMPTZ)) AS entered_at, nullif(employee_id, '') AS employee_id
FROM read_csv('{landing}/deal_stages.csv', all_varchar = true)
WHERE try_cast(entered_at AS TIMESTAMPTZ) IS NOT NULL;

CREATE TEMP TABLE leads AS
SELECT DISTINCT lead_id, nullif(client_id, '') AS client_id, nullif(assignee_id, '') AS assignee_id, status,
    timezone('{tz}', try_cast(created_at AS TIMESTAMPTZ)) AS created_at,
    timezone('{tz}', try_cast(nullif(closed_at, '') AS TIMESTAMPTZ)) AS closed_at
FROM read_csv('{landing}/leads.csv', all_varchar = true);

CREATE TEMP TABLE employees AS
SELECT DISTINCT employee_id, nullif(team, '') AS team, role, try_cast(hired_on AS DATE) AS hired_on,
    try_cast(nullif(left_on, '') AS DATE) AS left_on
FROM read_csv('{landing}/employees.csv', all_varchar = true);

CREATE TEMP TABLE as_of AS
SELECT coalesce(try_cast('{as_of}' AS DATE), (SELECT max(d) FROM (
    SELECT max(started_at::DATE) AS d FROM legs UNION ALL SELECT max(entered_at::DATE) FROM stages
    UNION ALL SELECT max(timezone('{tz}', try_cast(signed_at AS TIMESTAMPTZ))::DATE)
              FROM read_csv('{landing}/contracts.csv', all_varchar = true)
    UNION ALL SELECT max(created_at::DATE) FROM leads))) AS as_of_date;

CREATE TEMP TABLE events AS
SELECT * FROM (
    SELECT 'call' AS subject, call_id AS subject_id, 'dial' AS event_type, client_id, employee_id, started_at AS ts
    FROM calls WHERE direction = 'outbound'
    UNION ALL SELECT 'call', call_id, 'contact', client_id, employee_id, started_at
    FROM calls WHERE direction = 'outbound' AND is_answered
    UNION ALL SELECT 'call', call_id, 'meeting_agreed', client_id, employee_id, started_at
    FROM calls WHERE direction = 'outbound' AND outcome = 'meeting_agreed'
    UNION ALL SELECT 'deal', deal_id, stage, client_id, employee_id, entered_at FROM stages
    UNION ALL SELECT 'lead', lead_id, 'lead_created', client_id, assignee_id, created_at FROM leads
    UNION ALL SELECT 'lead', lead_id, 'lead_converted', client_id, assignee_id, closed_at FROM leads
    WHERE status = 'converted' AND closed_at IS NOT NULL
) WHERE ts::DATE <= (SELECT as_of_date FROM as_of);

CREATE TEMP TABLE chain AS SELECT * FROM read_csv('{seeds}/process_chain.csv', all_varchar = true);

CREATE TEMP TABLE process_events AS
SELECT chain.process, roles.role, events.*, date_trunc('month', events.ts)::DATE AS month
FROM chain, LATERAL (SELECT 'attempt' AS role, attempt_event AS event_type UNION ALL
                     SELECT 'input', input_event UNION ALL SELECT 'result', result_event) AS roles
JOIN events ON events.event_type = roles.event_type AND events.subject = chain.subject;

CREATE TEMP TABLE cohorts AS
SELECT i.process, i.subject_id, i.ts, i.employee_id, min(r.ts) AS result_at
FROM process_events AS i JOIN chain ON chain.process = i.process
LEFT JOIN process_events AS r ON r.process = i.process AND r.role = 'result' AND r.subject_id = i.subject_id
    AND r.ts >= i.ts AND epoch(r.ts - i.ts) / 3600 <= chain.window_days::INT * 24
WHERE i.role = 'input'
GROUP BY ALL;

CREATE TEMP TABLE floor_process_kpis AS
WITH tagged AS (
    SELECT p.*, coalesce(e.team, 'unknown') AS team, c.result_at,
        epoch(c.result_at - c.ts) / 3600 AS hours_to_result
    FROM process_events AS p LEFT JOIN employees AS e USING (employee_id)
    LEFT JOIN (SELECT DISTINCT ON (process, subject_id, ts) * FROM cohorts) AS c
        ON p.role = 'input' AND c.process = p.process AND c.subject_id = p.subject_id AND c.ts = p.ts
), sliced AS (
    SELECT process, month, slice_type, slice_value,
        count(*) FILTER (role = 'attempt') AS dials, count(*) FILTER (role = 'input') AS inputs,
        count(*) FILTER (role = 'result') AS results,
        count(*) FILTER (role = 'input' AND result_at IS NOT NULL) AS cohort_conversions,
        count(DISTINCT employee_id) FILTER (role IN ('input', 'result')) AS participants,
        quantile_cont(hours_to_result, 0.5) FILTER (role = 'input') AS median_hours_to_result,
        quantile_cont(hours_to_result, 0.9) FILTER (role = 'input') AS p90_hours_to_result
    FROM tagged, LATERAL (SELECT 'all' AS slice_type, 'all' AS slice_value UNION ALL SELECT 'team', team
                          UNION ALL SELECT 'employee', coalesce(employee_id, 'unknown'))
    GROUP BY ALL
), roster AS (
    SELECT chain.process, s.slice_type, s.slice_value, e.hired_on, e.left_on
    FROM employees AS e JOIN chain ON chain.participant_role = e.role,
    LATERAL (SELECT 'all' AS slice_type, 'all' AS slice_value UNION ALL SELECT 'team', coalesce(e.team, 'unknown')
             UNION ALL SELECT 'employee', e.employee_id) AS s
), fte AS (
    SELECT k.process, k.month, k.slice_type, k.slice_value,
        sum(greatest(0, date_diff('day', greatest(k.month, coalesce(r.hired_on, k.month)),
                                  least(k.month + INTERVAL 1 MONTH, coalesce(r.left_on, k.month + INTERVAL 1 MONTH)))))
            AS employed_days
    FROM sliced AS k JOIN roster AS r USING (process, slice_type, slice_value)
    GROUP BY k.process, k.month, k.slice_type, k.slice_value
)
SELECT k.process, k.month AS period_start, k.slice_type, k.slice_value, k.inputs, k.results,
    k.results / nullif(k.inputs, 0)::DOUBLE AS efficiency, k.cohort_conversions,
    k.cohort_conversions / nullif(k.inputs, 0)::DOUBLE AS cohort_share, k.participants,
    k.results / nullif(k.participants, 0)::DOUBLE AS productivity,
    f.employed_days / date_diff('day', k.month, k.month + INTERVAL 1 MONTH) AS fte,
    k.results / nullif(f.employed_days / date_diff('day', k.month, k.month + INTERVAL 1 MONTH), 0) AS productivity_fte,
    k.median_hours_to_result, k.p90_hours_to_result,
    CASE WHEN chain.attempt_event IS NOT NULL THEN k.dials END AS dials,
    CASE WHEN chain.attempt_event IS NOT NULL THEN k.inputs / nullif(k.dials, 0)::DOUBLE END AS reach_rate
FROM sliced AS k JOIN chain USING (process) LEFT JOIN fte AS f USING (process, month, slice_type, slice_value);

CREATE TEMP TABLE floor_client_funnel AS
WITH firsts AS (
    SELECT client_id, min(ts) AS first_at FROM events WHERE event_type = 'contact' AND client_id IS NOT NULL
    GROUP BY client_id
), steps AS (SELECT * FROM read_csv('{seeds}/client_funnel_steps.csv', all_varchar = true)),
reached AS (
    SELECT DISTINCT date_trunc('month', f.first_at)::DATE AS cohort_month, s.step, f.client_id
    FROM firsts AS f JOIN events AS e ON e.client_id = f.client_id JOIN steps AS s ON s.event_type = e.event_type
    WHERE e.ts >= f.first_at AND epoch(e.ts - f.first_at) / 3600 <= 90 * 24
), counted AS (
    SELECT c.cohort_month, s.step, s.step_order::INT AS step_order, count(r.client_id) AS clients
    FROM (SELECT DISTINCT date_trunc('month', first_at)::DATE AS cohort_month FROM firsts) AS c CROSS JOIN steps AS s
    LEFT JOIN reached AS r ON r.cohort_month = c.cohort_month AND r.step = s.step
    GROUP BY ALL
)
SELECT cohort_month, step, step_order, clients,
    clients / nullif(lag(clients) OVER (PARTITION BY cohort_month ORDER BY step_order), 0)::DOUBLE AS step_conversion,
    clients / nullif(first_value(clients) OVER (PARTITION BY cohort_month ORDER BY step_order), 0)::DOUBLE
        AS cumulative_conversion
FROM counted;
