-- Gridcare's two PostgreSQL roles (SECURITY.md, "The audit trail"; issue 17.8).
--
--   owner role: owns the database, its schema and every table; runs `gridcare db upgrade` and
--               then grants.sql. Nothing else connects as it.
--   app role:   what the bot and the CLI connect as. It owns nothing, so it cannot ALTER, DROP or
--               TRUNCATE a table, nor disable the audit trail's triggers; grants.sql gives it
--               rows to read and write, and on audit_log only INSERT and SELECT.
--
-- Run once by a superuser, connected to the bot's database (the compose file's db service does it
-- at its first start, deploy/postgres/initdb.sh), and again when moving a deployment that ran as
-- the superuser: it is idempotent, and hands existing tables and functions to the owner role.
--
--   psql -v ON_ERROR_STOP=1 -v owner_role=gridcare_owner -v app_role=gridcare_app \
--        -v owner_password=… -v app_password=… -d gridcare -f roles.sql

-- Settings of this session carry the values into the block below (psql leaves $$ text alone);
-- SET prints nothing, so the passwords stay out of the output.
SET gridcare.owner_role = :'owner_role';
SET gridcare.app_role = :'app_role';
SET gridcare.owner_password = :'owner_password';
SET gridcare.app_password = :'app_password';

DO $$
DECLARE
    owner_role text := current_setting('gridcare.owner_role');
    app_role text := current_setting('gridcare.app_role');
    item record;
BEGIN
    IF owner_role = app_role THEN
        RAISE EXCEPTION 'the owner role and the app role must differ';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = owner_role) THEN
        EXECUTE format('CREATE ROLE %I', owner_role);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = app_role) THEN
        EXECUTE format('CREATE ROLE %I', app_role);
    END IF;
    -- Neither is a superuser or may create roles or databases; the app role is no member of the owner.
    EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
                   owner_role, nullif(current_setting('gridcare.owner_password'), ''));
    EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
                   app_role, nullif(current_setting('gridcare.app_password'), ''));
    IF pg_has_role(app_role, owner_role, 'MEMBER') THEN
        EXECUTE format('REVOKE %I FROM %I', owner_role, app_role);
    END IF;

    EXECUTE format('ALTER DATABASE %I OWNER TO %I', current_database(), owner_role);
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), app_role);
    EXECUTE format('ALTER SCHEMA public OWNER TO %I', owner_role);
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;  -- PostgreSQL before 15 grants it to everyone

    -- A deployment that ran as the superuser: its tables (with their sequences) and the audit
    -- trigger's function go to the owner role.
    FOR item IN SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
                WHERE schemaname = 'public' AND tableowner <> owner_role LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO %I', item.name, owner_role);
    END LOOP;
    FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> owner_role LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO %I', item.name, owner_role);
    END LOOP;
END
$$;

RESET gridcare.owner_password;
RESET gridcare.app_password;
