-- Every engine task with its namespace, task name and current state, in one row.
-- The other dashboard views join domain rows to this.
CREATE OR REPLACE VIEW app.task_states AS
SELECT t.task_uuid,
       ns.name                          AS namespace,
       nt.name                          AS task_name,
       nt.version                       AS task_version,
       COALESCE(tr.to_state, 'pending') AS state,
       t.complete,
       t.context,
       t.created_at,
       t.completed_at,
       tr.created_at                    AS state_changed_at
  FROM tasker.tasks t
  JOIN tasker.named_tasks nt      ON nt.named_task_uuid = t.named_task_uuid
  JOIN tasker.task_namespaces ns  ON ns.task_namespace_uuid = nt.task_namespace_uuid
  LEFT JOIN tasker.task_transitions tr
         ON tr.task_uuid = t.task_uuid AND tr.most_recent;
