-- Create the customer account (status 'pending' until onboarding completes).
--
-- Idempotent on task_uuid: a retried step gets the account it already created
-- and created = false, also when two runs of the step call at once. A different
-- task's customer with the same email or username raises unique_violation
-- (SQLSTATE 23505).
CREATE OR REPLACE FUNCTION app.register_customer(
    p_task_uuid        uuid,
    p_email            text,
    p_username         text,
    p_full_name        text,
    p_plan             text,
    p_external_user_id integer
) RETURNS TABLE (
    customer_id bigint,
    created     boolean
)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_customer_id bigint;
BEGIN
    -- Two runs of the same step at once (at-least-once delivery: two workers
    -- may both take it) queue here; the second then sees what the first did.
    PERFORM pg_advisory_xact_lock(hashtextextended('app.register_customer:' || p_task_uuid::text, 0));

    SELECT c.customer_id INTO v_customer_id
      FROM app.customers c
     WHERE c.task_uuid = p_task_uuid;

    IF v_customer_id IS NOT NULL THEN
        RETURN QUERY SELECT v_customer_id, false;
        RETURN;
    END IF;

    INSERT INTO app.customers AS c
           (task_uuid, email, username, full_name, plan, external_user_id)
    VALUES (p_task_uuid, lower(p_email), lower(p_username), p_full_name, p_plan,
            p_external_user_id)
    RETURNING c.customer_id INTO v_customer_id;

    RETURN QUERY SELECT v_customer_id, true;
END;
$$;
