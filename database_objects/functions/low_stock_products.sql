-- Products of a warehouse whose available units (on_hand - reserved) are below
-- the threshold, with how many to order: enough to get back to three times the
-- threshold, and never less than the supplier's minimum order quantity.
CREATE OR REPLACE FUNCTION app.low_stock_products(
    p_threshold integer,
    p_warehouse text
) RETURNS TABLE (
    product_id       integer,
    title            text,
    sku              text,
    supplier         text,
    unit_cost        numeric,
    on_hand          integer,
    reserved         integer,
    available        integer,
    reorder_quantity integer
)
LANGUAGE sql
STABLE
AS $$
    SELECT s.product_id,
           s.title,
           s.sku,
           s.supplier,
           s.unit_cost,
           s.on_hand,
           s.reserved,
           GREATEST(s.on_hand - s.reserved, 0) AS available,
           GREATEST(p_threshold * 3 - GREATEST(s.on_hand - s.reserved, 0),
                    s.min_order_quantity) AS reorder_quantity
      FROM app.product_stock s
     WHERE s.warehouse = p_warehouse
       AND s.on_hand - s.reserved < p_threshold
     ORDER BY GREATEST(s.on_hand - s.reserved, 0), s.product_id;
$$;
