-- The role the server acts as (VEERKRACHT_DB_ROLE, default veerkracht_app): it reads and
-- writes the data, but may only INSERT and SELECT the audit log. Migrations keep running as
-- the owner; the server switches to this role on every pooled connection.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'veerkracht_app') THEN
        CREATE ROLE veerkracht_app NOLOGIN;
    END IF;
END;
$$;

-- The server logs in as the user that migrates and switches to the role: it must be a member.
GRANT veerkracht_app TO CURRENT_USER;

GRANT USAGE ON SCHEMA public TO veerkracht_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO veerkracht_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO veerkracht_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM veerkracht_app;
-- The migrations' own bookkeeping is not the server's business.
REVOKE ALL ON schema_migrations FROM veerkracht_app;
-- Tables of later migrations get the ordinary grants; none of them is the audit log.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO veerkracht_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO veerkracht_app;
