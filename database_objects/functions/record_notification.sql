-- Put a message in the outbox (app.notifications) for a mailer or the warehouse
-- system to deliver. Idempotent on (task_uuid, template, recipient): a retried step
-- refreshes the same row instead of queuing the message twice. Returns its id.
CREATE OR REPLACE FUNCTION app.record_notification(
    p_task_uuid uuid,
    p_channel   text,
    p_template  text,
    p_recipient text,
    p_subject   text,
    p_body      text,
    p_payload   jsonb
) RETURNS bigint
LANGUAGE sql
AS $$
    INSERT INTO app.notifications AS n
           (task_uuid, channel, template, recipient, subject, body, payload)
    VALUES (p_task_uuid, p_channel, p_template, p_recipient, p_subject, p_body,
            COALESCE(p_payload, '{}'::jsonb))
    ON CONFLICT (task_uuid, template, recipient) DO UPDATE
       SET subject = EXCLUDED.subject,
           body    = EXCLUDED.body,
           payload = EXCLUDED.payload
    RETURNING n.notification_id;
$$;
