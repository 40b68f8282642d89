-- Input checks that read alike on every supported PostgreSQL major (15-18): is_valid_numeric(text) and
-- is_valid_timestamptz(text) say whether the text would cast without an error. On 16+ they are one-line SQL
-- functions over pg_input_is_valid (inlined by the planner, so as fast as calling it directly). 15 has no
-- pg_input_is_valid: there a PL/pgSQL function tries the cast and catches its error (a subtransaction per call,
-- so PARALLEL UNSAFE, and slow), and is_valid_numeric answers plain decimals (nearly every value) with an inlined
-- pattern before calling it. Created with EXECUTE so that 15 never parses a call to the function it lacks.
-- depends: 0003.history-listing-key

DO $migration$
BEGIN
    IF current_setting('server_version_num')::integer >= 160000 THEN
        EXECUTE $f$
            CREATE FUNCTION is_valid_numeric(value text) RETURNS boolean
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            RETURN pg_input_is_valid(value, 'numeric')
        $f$;
        -- STABLE, not IMMUTABLE: how timestamptz reads text depends on the session's TimeZone and DateStyle
        EXECUTE $f$
            CREATE FUNCTION is_valid_timestamptz(value text) RETURNS boolean
            LANGUAGE sql STABLE STRICT PARALLEL SAFE
            RETURN pg_input_is_valid(value, 'timestamptz')
        $f$;
    ELSE
        EXECUTE $f$
            CREATE FUNCTION numeric_cast_succeeds(value text) RETURNS boolean
            LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL UNSAFE
            AS $body$
            BEGIN
                PERFORM value::numeric;
                RETURN true;
            EXCEPTION WHEN data_exception THEN
                RETURN false;
            END
            $body$
        $f$;
        -- not STRICT, so that the planner inlines it (a NULL still gives NULL); a plain decimal of up to 1000
        -- characters always casts (numeric takes 131072 digits before the point)
        EXECUTE $f$
            CREATE FUNCTION is_valid_numeric(value text) RETURNS boolean
            LANGUAGE sql IMMUTABLE PARALLEL UNSAFE
            RETURN value ~ '^[+-]?[0-9]+(\.[0-9]*)?$' AND length(value) <= 1000 OR numeric_cast_succeeds(value)
        $f$;
        EXECUTE $f$
            CREATE FUNCTION is_valid_timestamptz(value text) RETURNS boolean
            LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
            AS $body$
            BEGIN
                PERFORM value::timestamptz;
                RETURN true;
            EXCEPTION WHEN data_exception THEN
                RETURN false;
            END
            $body$
        $f$;
    END IF;
END
$migration$;
