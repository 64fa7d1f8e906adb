-- Existing customers that a new registration would collide with, by email or
-- by username (both compared case-insensitively). Customers created by
-- p_task_uuid itself are left out, so a retried onboarding does not find itself.
CREATE OR REPLACE FUNCTION app.customer_conflicts(
    p_email     text,
    p_username  text,
    p_task_uuid uuid
) RETURNS TABLE (
    customer_id bigint,
    matched_on  text
)
LANGUAGE sql
STABLE
AS $$
    SELECT c.customer_id,
           CASE WHEN lower(c.email) = lower(p_email) THEN 'email' ELSE 'username' END
      FROM app.customers c
     WHERE (lower(c.email) = lower(p_email) OR lower(c.username) = lower(p_username))
       AND c.task_uuid IS DISTINCT FROM p_task_uuid
     ORDER BY c.customer_id;
$$;
