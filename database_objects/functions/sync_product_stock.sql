-- Record a stock count for one warehouse and remember it as a snapshot of this task.
--
-- p_products: [{"product_id", "title", "sku", "supplier", "unit_cost", "on_hand",
--               "min_order_quantity"}]
-- on_hand is overwritten (a count is the truth); reservations are kept.
-- Idempotent on (task_uuid, warehouse, product_id): a retried step rewrites the
-- same snapshot rows. Returns the number of products recorded.
CREATE OR REPLACE FUNCTION app.sync_product_stock(
    p_task_uuid uuid,
    p_warehouse text,
    p_products  jsonb
) RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count integer;
BEGIN
    IF jsonb_typeof(p_products) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'sync_product_stock: p_products must be a JSON array'
            USING ERRCODE = '22023';
    END IF;

    WITH incoming AS (
        SELECT (p->>'product_id')::integer                        AS product_id,
               p->>'title'                                         AS title,
               p->>'sku'                                           AS sku,
               COALESCE(NULLIF(p->>'supplier', ''), 'unassigned')  AS supplier,
               COALESCE((p->>'unit_cost')::numeric, 0)             AS unit_cost,
               GREATEST(COALESCE((p->>'on_hand')::integer, 0), 0)  AS on_hand,
               GREATEST(COALESCE((p->>'min_order_quantity')::integer, 1), 1) AS min_order_quantity
          FROM jsonb_array_elements(p_products) AS p
    ), upserted AS (
        INSERT INTO app.product_stock AS s
               (warehouse, product_id, sku, title, supplier, unit_cost, on_hand,
                min_order_quantity, last_counted_at, updated_at)
        SELECT p_warehouse, i.product_id, i.sku, i.title, i.supplier, i.unit_cost, i.on_hand,
               i.min_order_quantity, now(), now()
          FROM incoming i
        ON CONFLICT (warehouse, product_id) DO UPDATE
           SET sku                = EXCLUDED.sku,
               title              = EXCLUDED.title,
               supplier           = EXCLUDED.supplier,
               unit_cost          = EXCLUDED.unit_cost,
               on_hand            = EXCLUDED.on_hand,
               min_order_quantity = EXCLUDED.min_order_quantity,
               last_counted_at    = now(),
               updated_at         = now()
        RETURNING s.product_id, s.on_hand, s.reserved
    ), snap AS (
        INSERT INTO app.stock_level_snapshots AS x
               (task_uuid, warehouse, product_id, on_hand, reserved)
        SELECT p_task_uuid, p_warehouse, u.product_id, u.on_hand, u.reserved
          FROM upserted u
        ON CONFLICT (task_uuid, warehouse, product_id) DO UPDATE
           SET on_hand = EXCLUDED.on_hand,
               reserved = EXCLUDED.reserved,
               captured_at = now()
        RETURNING 1
    )
    SELECT count(*) INTO v_count FROM snap;

    RETURN v_count;
END;
$$;
