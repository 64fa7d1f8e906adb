-- Mark an order confirmed once its confirmation message is in the outbox.
-- Idempotent: the first confirmation time is kept. Returns it.
CREATE OR REPLACE FUNCTION app.confirm_order(
    p_order_id        bigint,
    p_notification_id bigint
) RETURNS timestamptz
LANGUAGE plpgsql
AS $$
DECLARE
    v_confirmed_at timestamptz;
BEGIN
    UPDATE app.orders o
       SET status = 'confirmed',
           confirmed_at = COALESCE(o.confirmed_at, now()),
           confirmation_notification_id = COALESCE(o.confirmation_notification_id, p_notification_id)
     WHERE o.order_id = p_order_id
       AND o.status IN ('placed', 'confirmed')
    RETURNING o.confirmed_at INTO v_confirmed_at;

    IF v_confirmed_at IS NULL THEN
        RAISE EXCEPTION 'confirm_order: order % does not exist or was cancelled', p_order_id
            USING ERRCODE = 'P0002';
    END IF;

    RETURN v_confirmed_at;
END;
$$;
