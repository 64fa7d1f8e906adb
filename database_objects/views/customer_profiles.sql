-- Customers with their preferences and the onboarding task's state.
CREATE OR REPLACE VIEW app.customer_profiles AS
SELECT c.customer_id,
       c.email,
       c.username,
       c.full_name,
       c.plan,
       c.status,
       c.external_user_id,
       p.newsletter_opt_in,
       p.notification_channel,
       p.locale,
       p.timezone,
       p.features,
       c.created_at,
       c.onboarded_at,
       c.task_uuid,
       (SELECT tr.to_state FROM tasker.task_transitions tr
         WHERE tr.task_uuid = c.task_uuid AND tr.most_recent) AS task_state
  FROM app.customers c
  LEFT JOIN app.customer_preferences p ON p.customer_id = c.customer_id;
