-- Purchase orders with their lines rolled up and the stock-management task
-- that opened them.
CREATE OR REPLACE VIEW app.purchase_order_summaries AS
SELECT p.purchase_order_id,
       p.po_number,
       p.warehouse,
       p.supplier,
       p.status,
       p.total_cost,
       COALESCE(l.line_count, 0) AS line_count,
       COALESCE(l.units, 0)      AS units,
       COALESCE(l.product_ids, ARRAY[]::integer[]) AS product_ids,
       p.created_at,
       p.task_uuid,
       (SELECT tr.to_state FROM tasker.task_transitions tr
         WHERE tr.task_uuid = p.task_uuid AND tr.most_recent) AS task_state
  FROM app.purchase_orders p
  LEFT JOIN (SELECT pl.purchase_order_id,
                    count(*)::integer         AS line_count,
                    sum(pl.quantity)::integer AS units,
                    array_agg(pl.product_id ORDER BY pl.product_id) AS product_ids
               FROM app.purchase_order_lines pl
              GROUP BY pl.purchase_order_id) l ON l.purchase_order_id = p.purchase_order_id;
