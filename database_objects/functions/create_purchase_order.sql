-- Open one purchase order for one supplier with its lines.
--
-- p_lines: [{"product_id", "title", "quantity", "unit_cost"}]
-- Idempotent on (task_uuid, supplier): a retried step gets the existing order
-- and created = false.
CREATE OR REPLACE FUNCTION app.create_purchase_order(
    p_task_uuid uuid,
    p_warehouse text,
    p_supplier  text,
    p_lines     jsonb
) RETURNS TABLE (
    purchase_order_id bigint,
    po_number         text,
    total_cost        numeric,
    line_count        integer,
    units             integer,
    created           boolean
)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_po_id   bigint;
    v_created boolean := false;
BEGIN
    IF jsonb_typeof(p_lines) IS DISTINCT FROM 'array' OR jsonb_array_length(p_lines) = 0 THEN
        RAISE EXCEPTION 'create_purchase_order: a purchase order needs at least one line'
            USING ERRCODE = '22023';
    END IF;

    INSERT INTO app.purchase_orders AS po (task_uuid, warehouse, supplier)
    VALUES (p_task_uuid, p_warehouse, p_supplier)
    ON CONFLICT (task_uuid, supplier) DO NOTHING
    RETURNING po.purchase_order_id INTO v_po_id;

    IF v_po_id IS NOT NULL THEN
        v_created := true;

        INSERT INTO app.purchase_order_lines
               (purchase_order_id, product_id, title, quantity, unit_cost, line_cost)
        SELECT v_po_id, l.product_id, l.title, l.quantity, l.unit_cost,
               round(l.quantity * l.unit_cost, 2)
          FROM jsonb_to_recordset(p_lines)
               AS l(product_id integer, title text, quantity integer, unit_cost numeric);

        UPDATE app.purchase_orders po
           SET total_cost = (SELECT COALESCE(sum(pl.line_cost), 0)
                               FROM app.purchase_order_lines pl
                              WHERE pl.purchase_order_id = v_po_id)
         WHERE po.purchase_order_id = v_po_id;
    ELSE
        SELECT po.purchase_order_id INTO v_po_id
          FROM app.purchase_orders po
         WHERE po.task_uuid = p_task_uuid AND po.supplier = p_supplier;
    END IF;

    RETURN QUERY
        SELECT po.purchase_order_id, po.po_number, po.total_cost,
               count(pl.product_id)::integer,
               COALESCE(sum(pl.quantity), 0)::integer,
               v_created
          FROM app.purchase_orders po
          LEFT JOIN app.purchase_order_lines pl USING (purchase_order_id)
         WHERE po.purchase_order_id = v_po_id
         GROUP BY po.purchase_order_id, po.po_number, po.total_cost;
END;
$$;
