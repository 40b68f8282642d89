-- Input checks that read alike on every supported PostgreSQL major (15-18): is_valid_numeric(text) and
-- is_valid_timestamptz(text) say whether the text would cast without an error. On 16+ they are one-line SQL
-- functions over pg_input_is_valid (inlined by the planner, so as fast as calling it directly); 15 has no
-- pg_input_is_valid, so there they try the cast in PL/pgSQL and catch its error (a subtransaction per call:
-- slower, same verdicts). Created with EXECUTE so that 15 never parses a call to the function it lacks.
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
            CREATE FUNCTION is_valid_numeric(value text) RETURNS boolean
            LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
            AS $body$
            BEGIN
                -- plain decimals of up to 40 digits always cast: answer them without the subtransaction
                IF value ~ '^ *[+-]?[0-9]{1,20}(\.[0-9]{0,20})? *$' THEN
                    RETURN true;
                END IF;
                PERFORM value::numeric;
                RETURN true;
            EXCEPTION WHEN data_exception THEN
                RETURN false;
            END
            $body$
        $f$;
        EXECUTE $f$
            CREATE FUNCTION is_valid_timestamptz(value text) RETURNS boolean
            LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
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
