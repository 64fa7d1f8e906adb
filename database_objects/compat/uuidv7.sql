-- uuidv7() for PostgreSQL 15-17. The engine's migrations call uuidv7(), which is
-- native from PostgreSQL 18 on, or come from the pg_uuidv7 extension. Where
-- neither exists, this creates public.uuidv7(): a random (v4) UUID whose first
-- 48 bits are replaced by the Unix time in milliseconds and whose version
-- nibble is set to 7 (RFC 9562). Safe to run always: it changes nothing where
-- uuidv7() is already provided.
DO $compat$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc
                WHERE proname = 'uuidv7' AND pronargs = 0
                  AND pronamespace = 'pg_catalog'::regnamespace) THEN
        RAISE NOTICE 'uuidv7(): native (PostgreSQL 18+), nothing to do';
    ELSIF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_uuidv7') THEN
        RAISE NOTICE 'uuidv7(): the pg_uuidv7 extension provides it, nothing to do';
    ELSIF EXISTS (SELECT 1 FROM pg_proc
                   WHERE proname = 'uuidv7' AND pronargs = 0
                     AND pronamespace = 'public'::regnamespace) THEN
        RAISE NOTICE 'uuidv7(): public.uuidv7() already exists, nothing to do';
    ELSE
        EXECUTE $create$
            CREATE FUNCTION public.uuidv7() RETURNS uuid
            LANGUAGE sql VOLATILE PARALLEL SAFE
            AS $fn$
                SELECT encode(
                    set_bit(set_bit(
                        overlay(uuid_send(gen_random_uuid())
                                PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                                FROM 1 FOR 6),
                        52, 1), 53, 1),
                    'hex')::uuid
            $fn$
        $create$;
        COMMENT ON FUNCTION public.uuidv7() IS 'tasker-app compat: UUID version 7 (time-ordered) for PostgreSQL 15-17';
        RAISE NOTICE 'uuidv7(): created public.uuidv7()';
    END IF;
END
$compat$;
