-- What Gridcare's application role may do (issue 17.8): read and write rows, nothing more; on the
-- audit trail only add and read. Run by the owner role after every `gridcare db upgrade` (the
-- compose file's grants service does), since a new migration may add tables; idempotent.
--
--   psql -v ON_ERROR_STOP=1 -v app_role=gridcare_app -d gridcare -f grants.sql
--
-- The app role owns nothing (roles.sql), so it can never ALTER, DROP or TRUNCATE a table nor
-- disable a trigger, whatever is granted here.

SET gridcare.app_role = :'app_role';  -- for the block below: psql leaves $$ text alone

DO $$
DECLARE
    app_role text := current_setting('gridcare.app_role');
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', app_role);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app_role);
    EXECUTE format('REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM %I', app_role);
    -- The audit trail: appended to and read, never changed, removed or emptied (its triggers
    -- refuse UPDATE and DELETE too, but only this stops TRUNCATE).
    EXECUTE format('REVOKE UPDATE, DELETE ON audit_log FROM %I', app_role);
    -- The schema version: read at start-up, written by migrations only.
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM %I', app_role);
END
$$;
