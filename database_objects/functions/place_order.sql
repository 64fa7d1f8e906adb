-- Turn a priced cart into an order: the order row, its lines, and the stock
-- reservations of the same task committed against it (reserved units leave on_hand).
--
-- p_pricing: {"currency", "subtotal", "discount_total", "shipping_total",
--             "tax_total", "grand_total", "rules": [...]}
-- p_lines:   [{"product_id", "title", "unit_price", "quantity",
--              "discount_amount", "line_total"}]
-- Idempotent on task_uuid: a retried step gets the existing order and created = false.
CREATE OR REPLACE FUNCTION app.place_order(
    p_task_uuid        uuid,
    p_cart_id          integer,
    p_customer_email   text,
    p_external_user_id integer,
    p_warehouse        text,
    p_pricing          jsonb,
    p_lines            jsonb
) RETURNS TABLE (
    order_id     bigint,
    order_number text,
    grand_total  numeric,
    created      boolean
)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_order_id bigint;
BEGIN
    IF jsonb_typeof(p_lines) IS DISTINCT FROM 'array' OR jsonb_array_length(p_lines) = 0 THEN
        RAISE EXCEPTION 'place_order: an order needs at least one line' USING ERRCODE = '22023';
    END IF;

    INSERT INTO app.orders AS o
           (task_uuid, cart_id, customer_email, external_user_id, warehouse, currency,
            subtotal, discount_total, shipping_total, tax_total, grand_total, pricing_rules)
    VALUES (p_task_uuid, p_cart_id, lower(p_customer_email), p_external_user_id, p_warehouse,
            COALESCE(p_pricing->>'currency', 'USD'),
            (p_pricing->>'subtotal')::numeric,
            (p_pricing->>'discount_total')::numeric,
            (p_pricing->>'shipping_total')::numeric,
            (p_pricing->>'tax_total')::numeric,
            (p_pricing->>'grand_total')::numeric,
            COALESCE(p_pricing->'rules', '[]'::jsonb))
    ON CONFLICT (task_uuid) DO NOTHING
    RETURNING o.order_id INTO v_order_id;

    IF v_order_id IS NULL THEN
        RETURN QUERY
            SELECT o.order_id, o.order_number, o.grand_total, false
              FROM app.orders o
             WHERE o.task_uuid = p_task_uuid;
        RETURN;
    END IF;

    INSERT INTO app.order_lines
           (order_id, line_number, product_id, title, unit_price, quantity,
            discount_amount, line_total)
    SELECT v_order_id,
           l.ordinality::integer,
           (l.value->>'product_id')::integer,
           l.value->>'title',
           (l.value->>'unit_price')::numeric,
           (l.value->>'quantity')::integer,
           COALESCE((l.value->>'discount_amount')::numeric, 0),
           (l.value->>'line_total')::numeric
      FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS l(value, ordinality);

    -- Held units become committed: they leave both reserved and on_hand.
    WITH committed AS (
        UPDATE app.stock_reservations r
           SET status = 'committed', order_id = v_order_id, updated_at = now()
         WHERE r.task_uuid = p_task_uuid AND r.status = 'held'
        RETURNING r.warehouse, r.product_id, r.quantity
    )
    UPDATE app.product_stock s
       SET on_hand = GREATEST(s.on_hand - c.quantity, 0),
           reserved = GREATEST(s.reserved - c.quantity, 0),
           updated_at = now()
      FROM committed c
     WHERE s.warehouse = c.warehouse AND s.product_id = c.product_id;

    RETURN QUERY
        SELECT o.order_id, o.order_number, o.grand_total, true
          FROM app.orders o
         WHERE o.order_id = v_order_id;
END;
$$;
