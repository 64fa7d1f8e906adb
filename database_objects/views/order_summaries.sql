-- Orders with their line counts, units, the workflow task that placed them and
-- that task's state.
CREATE OR REPLACE VIEW app.order_summaries AS
SELECT o.order_id,
       o.order_number,
       o.status,
       o.cart_id,
       o.customer_email,
       o.currency,
       o.subtotal,
       o.discount_total,
       o.shipping_total,
       o.tax_total,
       o.grand_total,
       COALESCE(l.line_count, 0) AS line_count,
       COALESCE(l.units, 0)      AS units,
       o.placed_at,
       o.confirmed_at,
       o.task_uuid,
       (SELECT tr.to_state FROM tasker.task_transitions tr
         WHERE tr.task_uuid = o.task_uuid AND tr.most_recent) AS task_state
  FROM app.orders o
  LEFT JOIN (SELECT ol.order_id,
                    count(*)::integer         AS line_count,
                    sum(ol.quantity)::integer AS units
               FROM app.order_lines ol
              GROUP BY ol.order_id) l ON l.order_id = o.order_id;
