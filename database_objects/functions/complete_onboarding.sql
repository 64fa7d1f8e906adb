-- Activate a customer whose preferences are set and welcome message is queued.
-- Refuses (SQLSTATE P0002) when the preferences are missing. Idempotent: the
-- first onboarding time is kept. Returns it.
CREATE OR REPLACE FUNCTION app.complete_onboarding(
    p_customer_id             bigint,
    p_welcome_notification_id bigint
) RETURNS timestamptz
LANGUAGE plpgsql
AS $$
DECLARE
    v_onboarded_at timestamptz;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM app.customer_preferences p
                    WHERE p.customer_id = p_customer_id) THEN
        RAISE EXCEPTION 'complete_onboarding: customer % has no preferences yet', p_customer_id
            USING ERRCODE = 'P0002';
    END IF;

    UPDATE app.customers c
       SET status = 'active',
           onboarded_at = COALESCE(c.onboarded_at, now()),
           welcome_notification_id = COALESCE(c.welcome_notification_id, p_welcome_notification_id)
     WHERE c.customer_id = p_customer_id
    RETURNING c.onboarded_at INTO v_onboarded_at;

    IF v_onboarded_at IS NULL THEN
        RAISE EXCEPTION 'complete_onboarding: customer % does not exist', p_customer_id
            USING ERRCODE = 'P0002';
    END IF;

    RETURN v_onboarded_at;
END;
$$;
