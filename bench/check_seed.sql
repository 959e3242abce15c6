-- Consistency checks of a database seeded by bench/seed_metrics.py.
--
--   sqlite3 bench/results/seed-1000000.db < bench/check_seed.sql
--
-- First the distribution, then one line per rule with the number of rows that
-- break it: every count in the second part must be 0. Times are compared as
-- stored (RFC 3339 text, one offset): text order is time order.
.headers on
.mode column

SELECT 'requests' AS what, COUNT(*) AS n FROM requests
UNION ALL SELECT 'events', COUNT(*) FROM events
UNION ALL SELECT 'follow_ups', COUNT(*) FROM follow_ups
UNION ALL SELECT 'request_units', COUNT(*) FROM request_units;

SELECT status, COUNT(*) AS n, ROUND(100.0 * COUNT(*) / (SELECT COUNT(*) FROM requests), 2) AS pct
FROM requests GROUP BY status ORDER BY n DESC;

SELECT COALESCE(resolved_level, '-') AS resolved_level, status, COUNT(*) AS n
FROM requests WHERE status IN ('resolved', 'declined', 'closed') GROUP BY 1, 2 ORDER BY 1, 2;

SELECT type, COUNT(*) AS n FROM events GROUP BY type ORDER BY n DESC;

SELECT 'last 14 days' AS filed, SUM(status IN ('new', 'acknowledged', 'in_progress')) AS open, COUNT(*) AS total
FROM requests WHERE filed_at >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-14 days')
UNION ALL
SELECT 'before', SUM(status IN ('new', 'acknowledged', 'in_progress')), COUNT(*)
FROM requests WHERE filed_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-14 days');

SELECT 'with an sla_breached event' AS what,
       ROUND(100.0 * COUNT(DISTINCT request_id) / (SELECT COUNT(*) FROM requests), 2) AS pct
FROM events WHERE type = 'sla_breached'
UNION ALL SELECT 'reopened at least once',
       ROUND(100.0 * SUM(reopen_count > 0) / COUNT(*), 2) FROM requests
UNION ALL SELECT 'ever routed to a service',
       ROUND(100.0 * COUNT(DISTINCT ru.request_id) / (SELECT COUNT(*) FROM requests), 2)
FROM request_units ru JOIN units u ON u.id = ru.unit_id WHERE u.kind = 'service'
UNION ALL SELECT 'ever escalated to leadership',
       ROUND(100.0 * COUNT(DISTINCT ru.request_id) / (SELECT COUNT(*) FROM requests), 2)
FROM request_units ru JOIN units u ON u.id = ru.unit_id WHERE u.kind = 'leadership'
UNION ALL SELECT 'follow-ups: customer reached',
       ROUND(100.0 * AVG(customer_reached), 2) FROM follow_ups
UNION ALL SELECT 'follow-ups: mean satisfaction', ROUND(AVG(satisfaction), 2) FROM follow_ups;

SELECT 'answered before filed' AS rule, COUNT(*) AS broken FROM requests
  WHERE resolved_at < filed_at OR acknowledged_at < filed_at OR closed_at < filed_at
UNION ALL SELECT 'closed before answered', COUNT(*) FROM requests
  WHERE closed_at IS NOT NULL AND (resolved_at IS NULL OR closed_at < resolved_at)
UNION ALL SELECT 'no filed event', COUNT(*) FROM requests r
  WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id AND e.type = 'filed')
UNION ALL SELECT 'filed event not first (by id)', COUNT(*) FROM (
  SELECT request_id, type, ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY id) AS k FROM events
) WHERE k = 1 AND type <> 'filed'
UNION ALL SELECT 'filed event not at filed_at', COUNT(*) FROM requests r JOIN events e
  ON e.request_id = r.id AND e.type = 'filed' WHERE e.at <> r.filed_at
UNION ALL SELECT 'event before filing', COUNT(*) FROM events e JOIN requests r ON r.id = e.request_id
  WHERE e.at < r.filed_at
UNION ALL SELECT 'events out of time order (by id)', COUNT(*) FROM (
  SELECT at, LAG(at) OVER (PARTITION BY request_id ORDER BY id) AS prev FROM events
) WHERE prev > at
UNION ALL SELECT 'version <> number of events', COUNT(*) FROM requests r
  WHERE version <> (SELECT COUNT(*) FROM events e WHERE e.request_id = r.id)
UNION ALL SELECT 'updated_at <> last event', COUNT(*) FROM requests r
  WHERE updated_at <> (SELECT MAX(at) FROM events e WHERE e.request_id = r.id)
UNION ALL SELECT 'status <> last status event', COUNT(*) FROM requests r
  WHERE status <> (SELECT to_status FROM events e WHERE e.request_id = r.id ORDER BY id DESC LIMIT 1)
UNION ALL SELECT 'answered but not back at the front line', COUNT(*) FROM requests
  WHERE status IN ('resolved', 'declined', 'closed')
    AND (level <> 'frontline' OR unit_id <> team_id OR resolved_at IS NULL)
UNION ALL SELECT 'answered without resolved_level/unit', COUNT(*) FROM requests
  WHERE status IN ('resolved', 'declined') AND (resolved_level IS NULL OR resolved_unit_id IS NULL)
UNION ALL SELECT 'open at the front line or with an answer', COUNT(*) FROM requests
  WHERE status IN ('new', 'acknowledged', 'in_progress')
    AND (level = 'frontline' OR resolved_at IS NOT NULL OR resolved_level IS NOT NULL)
UNION ALL SELECT 'held below the team without a request_units row', COUNT(*) FROM requests r
  WHERE unit_id <> team_id
    AND NOT EXISTS (SELECT 1 FROM request_units ru WHERE ru.request_id = r.id AND ru.unit_id = r.unit_id)
UNION ALL SELECT 'routed/escalated events <> request_units rows', ABS(
  (SELECT COUNT(*) FROM (SELECT DISTINCT request_id, to_level FROM events WHERE type IN ('routed', 'escalated')))
  - (SELECT COUNT(*) FROM request_units))
UNION ALL SELECT 'follow-up without its event', COUNT(*) FROM follow_ups f
  WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = f.event_id AND e.request_id = f.request_id
                    AND e.type IN ('follow_up_recorded', 'reopened'))
UNION ALL SELECT 'reopen_count <> reopened events', COUNT(*) FROM requests r
  WHERE reopen_count <> (SELECT COUNT(*) FROM events e WHERE e.request_id = r.id AND e.type = 'reopened')
UNION ALL SELECT 'sla_breached flag on a request not open', COUNT(*) FROM requests
  WHERE sla_breached = 1 AND status NOT IN ('new', 'acknowledged', 'in_progress')
UNION ALL SELECT 'breach time without its event', COUNT(*) FROM requests r
  WHERE (resolve_breached_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id
           AND e.type = 'sla_breached' AND e.at = r.resolve_breached_at))
     OR (acknowledge_breached_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id
           AND e.type = 'sla_breached' AND e.at = r.acknowledge_breached_at))
UNION ALL SELECT 'breach before its deadline', COUNT(*) FROM requests
  WHERE resolve_breached_at < resolve_by OR acknowledge_breached_at < acknowledge_by
UNION ALL SELECT 'resolve_by <> filed_at + policy', COUNT(*) FROM requests
  WHERE strftime('%s', resolve_by) - strftime('%s', filed_at) <> sla_resolve_seconds
UNION ALL SELECT 'number order <> filing order', COUNT(*) FROM (
  SELECT filed_at, LAG(filed_at) OVER (ORDER BY number) AS prev FROM requests
) WHERE prev > filed_at
UNION ALL SELECT 'request id order <> filing order', COUNT(*) FROM (
  SELECT filed_at, LAG(filed_at) OVER (ORDER BY id) AS prev FROM requests
) WHERE prev > filed_at
UNION ALL SELECT 'duplicate tracking codes', COUNT(*) - COUNT(DISTINCT tracking_code) FROM requests
  WHERE tracking_code IS NOT NULL
UNION ALL SELECT 'tracking code without consent', COUNT(*) FROM requests
  WHERE tracking_code IS NOT NULL AND customer_consent = 0
UNION ALL SELECT 'filed in the future', COUNT(*) FROM requests
  WHERE filed_at > strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.999999+00:00';
