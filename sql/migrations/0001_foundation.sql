-- The base every later migration builds on. schema_migrations itself is created by the
-- migrator, which needs it before it can read any file.

-- gen_random_uuid() is built into PostgreSQL 13+; pgcrypto is not needed.
-- citext gives case-insensitive e-mail addresses with a plain UNIQUE constraint.
CREATE EXTENSION IF NOT EXISTS citext;

-- Every mutable row carries a version for ETags and optimistic locking; this trigger
-- function keeps updated_at honest wherever a table opts in.
CREATE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
