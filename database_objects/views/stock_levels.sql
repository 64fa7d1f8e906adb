-- Stock per warehouse and product: available units, units on open purchase
-- orders, and when the product was last counted.
CREATE OR REPLACE VIEW app.stock_levels AS
SELECT s.warehouse,
       s.product_id,
       s.sku,
       s.title,
       s.supplier,
       s.on_hand,
       s.reserved,
       GREATEST(s.on_hand - s.reserved, 0) AS available,
       COALESCE(po.on_order, 0)            AS on_order,
       s.unit_cost,
       s.last_counted_at
  FROM app.product_stock s
  LEFT JOIN (SELECT p.warehouse, pl.product_id, sum(pl.quantity)::integer AS on_order
               FROM app.purchase_orders p
               JOIN app.purchase_order_lines pl USING (purchase_order_id)
              WHERE p.status = 'open'
              GROUP BY p.warehouse, pl.product_id) po
         ON po.warehouse = s.warehouse AND po.product_id = s.product_id;
