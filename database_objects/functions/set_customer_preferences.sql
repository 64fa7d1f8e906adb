-- Write (or rewrite) a customer's preferences. Safe to repeat: the row is
-- replaced with the same values. Returns the time of the write.
CREATE OR REPLACE FUNCTION app.set_customer_preferences(
    p_customer_id          bigint,
    p_newsletter_opt_in    boolean,
    p_notification_channel text,
    p_locale               text,
    p_timezone             text,
    p_features             jsonb
) RETURNS timestamptz
LANGUAGE sql
AS $$
    INSERT INTO app.customer_preferences AS p
           (customer_id, newsletter_opt_in, notification_channel, locale, timezone,
            features, updated_at)
    VALUES (p_customer_id, p_newsletter_opt_in, p_notification_channel, p_locale,
            p_timezone, COALESCE(p_features, '{}'::jsonb), now())
    ON CONFLICT (customer_id) DO UPDATE
       SET newsletter_opt_in    = EXCLUDED.newsletter_opt_in,
           notification_channel = EXCLUDED.notification_channel,
           locale               = EXCLUDED.locale,
           timezone             = EXCLUDED.timezone,
           features             = EXCLUDED.features,
           updated_at           = now()
    RETURNING p.updated_at;
$$;
