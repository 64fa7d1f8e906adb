-- Store the outcome of one stock-management run. Idempotent on task_uuid: a
-- retried step overwrites its own report. Returns the report id.
CREATE OR REPLACE FUNCTION app.record_inventory_report(
    p_task_uuid            uuid,
    p_warehouse            text,
    p_threshold            integer,
    p_products_counted     integer,
    p_low_stock_count      integer,
    p_purchase_order_count integer,
    p_units_ordered        integer,
    p_notification_id      bigint,
    p_summary              jsonb
) RETURNS bigint
LANGUAGE sql
AS $$
    INSERT INTO app.inventory_reports AS r
           (task_uuid, warehouse, threshold, products_counted, low_stock_count,
            purchase_order_count, units_ordered, notification_id, summary)
    VALUES (p_task_uuid, p_warehouse, p_threshold, p_products_counted, p_low_stock_count,
            p_purchase_order_count, p_units_ordered, p_notification_id,
            COALESCE(p_summary, '{}'::jsonb))
    ON CONFLICT (task_uuid) DO UPDATE
       SET products_counted     = EXCLUDED.products_counted,
           low_stock_count      = EXCLUDED.low_stock_count,
           purchase_order_count = EXCLUDED.purchase_order_count,
           units_ordered        = EXCLUDED.units_ordered,
           notification_id      = EXCLUDED.notification_id,
           summary              = EXCLUDED.summary
    RETURNING r.report_id;
$$;
