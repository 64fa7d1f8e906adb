-- One row per workflow task of this app with what it produced in the domain:
-- the order it placed, the purchase orders and report of a stock run, or the
-- customer it onboarded. A task in error with no domain rows shows NULLs.
CREATE OR REPLACE VIEW app.workflow_outcomes AS
SELECT ts.task_uuid,
       ts.namespace,
       ts.task_name,
       ts.state,
       ts.created_at,
       ts.completed_at,
       o.order_number,
       o.grand_total                 AS order_total,
       po.purchase_order_count,
       r.low_stock_count,
       c.customer_id,
       c.status                      AS customer_status
  FROM (SELECT t.task_uuid, ns.name AS namespace, nt.name AS task_name,
               COALESCE(tr.to_state, 'pending') AS state, t.created_at, t.completed_at
          FROM tasker.tasks t
          JOIN tasker.named_tasks nt     ON nt.named_task_uuid = t.named_task_uuid
          JOIN tasker.task_namespaces ns ON ns.task_namespace_uuid = nt.task_namespace_uuid
          LEFT JOIN tasker.task_transitions tr
                 ON tr.task_uuid = t.task_uuid AND tr.most_recent) ts
  LEFT JOIN app.orders o             ON o.task_uuid = ts.task_uuid
  LEFT JOIN (SELECT p.task_uuid, count(*)::integer AS purchase_order_count
               FROM app.purchase_orders p
              GROUP BY p.task_uuid) po ON po.task_uuid = ts.task_uuid
  LEFT JOIN app.inventory_reports r  ON r.task_uuid = ts.task_uuid
  LEFT JOIN app.customers c          ON c.task_uuid = ts.task_uuid
 WHERE ts.namespace IN ('ecommerce', 'inventory', 'customer');
