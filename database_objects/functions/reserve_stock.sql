-- Hold stock for every line of an order, all or nothing.
--
-- p_lines: [{"product_id", "title", "sku", "supplier", "unit_cost",
--            "catalogue_stock", "quantity"}]
-- A product the warehouse has never counted is first recorded with the
-- catalogue's stock figure. If any line lacks stock, nothing is reserved and every
-- line is returned with reserved = false, so the caller can say which ones.
-- Idempotent on task_uuid: a second call returns the reservations already held,
-- also when both calls run at once.
CREATE OR REPLACE FUNCTION app.reserve_stock(
    p_task_uuid uuid,
    p_warehouse text,
    p_lines     jsonb
) RETURNS TABLE (
    product_id  integer,
    quantity    integer,
    available   integer,
    reserved    boolean
)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_short   integer;
    v_request jsonb;
BEGIN
    IF jsonb_typeof(p_lines) IS DISTINCT FROM 'array' OR jsonb_array_length(p_lines) = 0 THEN
        RAISE EXCEPTION 'reserve_stock: p_lines must be a non-empty JSON array'
            USING ERRCODE = '22023';
    END IF;

    -- Two runs of the same step at once (at-least-once delivery: two workers
    -- may both take it) queue here; the second then sees what the first did.
    PERFORM pg_advisory_xact_lock(hashtextextended('app.reserve_stock:' || p_task_uuid::text, 0));

    -- Already done by an earlier attempt of the same step?
    IF EXISTS (SELECT 1 FROM app.stock_reservations r
                WHERE r.task_uuid = p_task_uuid AND r.warehouse = p_warehouse) THEN
        RETURN QUERY
            SELECT r.product_id, r.quantity,
                   GREATEST(s.on_hand - s.reserved, 0), true
              FROM app.stock_reservations r
              JOIN app.product_stock s USING (warehouse, product_id)
             WHERE r.task_uuid = p_task_uuid AND r.warehouse = p_warehouse
             ORDER BY r.product_id;
        RETURN;
    END IF;

    -- Lines for the same product are added together.
    SELECT jsonb_agg(jsonb_build_object('product_id', x.product_id, 'quantity', x.quantity))
      INTO v_request
      FROM (SELECT (l->>'product_id')::integer AS product_id,
                   sum((l->>'quantity')::integer)::integer AS quantity
              FROM jsonb_array_elements(p_lines) AS l
             GROUP BY 1) x;

    IF EXISTS (SELECT 1 FROM jsonb_to_recordset(v_request) AS q(product_id integer, quantity integer) WHERE q.quantity <= 0) THEN
        RAISE EXCEPTION 'reserve_stock: quantities must be positive' USING ERRCODE = '22023';
    END IF;

    INSERT INTO app.product_stock
           (warehouse, product_id, sku, title, supplier, unit_cost, on_hand)
    SELECT DISTINCT ON ((l->>'product_id')::integer)
           p_warehouse,
           (l->>'product_id')::integer,
           l->>'sku',
           COALESCE(l->>'title', 'product ' || (l->>'product_id')),
           COALESCE(NULLIF(l->>'supplier', ''), 'unassigned'),
           COALESCE((l->>'unit_cost')::numeric, 0),
           GREATEST(COALESCE((l->>'catalogue_stock')::integer, 0), 0)
      FROM jsonb_array_elements(p_lines) AS l
    ON CONFLICT (warehouse, product_id) DO NOTHING;

    -- Lock the rows in a fixed order so concurrent orders cannot deadlock.
    PERFORM 1
       FROM app.product_stock s
      WHERE s.warehouse = p_warehouse
        AND s.product_id IN (SELECT q.product_id FROM jsonb_to_recordset(v_request) AS q(product_id integer, quantity integer))
      ORDER BY s.product_id
        FOR UPDATE;

    SELECT count(*) INTO v_short
      FROM jsonb_to_recordset(v_request) AS q(product_id integer, quantity integer)
      JOIN app.product_stock s ON s.warehouse = p_warehouse AND s.product_id = q.product_id
     WHERE s.on_hand - s.reserved < q.quantity;

    IF v_short > 0 THEN
        RETURN QUERY
            SELECT q.product_id, q.quantity, GREATEST(s.on_hand - s.reserved, 0), false
              FROM jsonb_to_recordset(v_request) AS q(product_id integer, quantity integer)
              JOIN app.product_stock s ON s.warehouse = p_warehouse AND s.product_id = q.product_id
             ORDER BY q.product_id;
        RETURN;
    END IF;

    UPDATE app.product_stock s
       SET reserved = s.reserved + q.quantity,
           updated_at = now()
      FROM jsonb_to_recordset(v_request) AS q(product_id integer, quantity integer)
     WHERE s.warehouse = p_warehouse AND s.product_id = q.product_id;

    INSERT INTO app.stock_reservations (task_uuid, warehouse, product_id, quantity)
    SELECT p_task_uuid, p_warehouse, q.product_id, q.quantity
      FROM jsonb_to_recordset(v_request) AS q(product_id integer, quantity integer);

    RETURN QUERY
        SELECT q.product_id, q.quantity, GREATEST(s.on_hand - s.reserved, 0), true
          FROM jsonb_to_recordset(v_request) AS q(product_id integer, quantity integer)
          JOIN app.product_stock s ON s.warehouse = p_warehouse AND s.product_id = q.product_id
         ORDER BY q.product_id;
END;
$$;
