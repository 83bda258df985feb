-- Instances keep recent authentication answers in memory (Identity/PrincipalCache.swift).
-- Any change that could alter an answer notifies them at commit, and they forget everything:
-- users (roles, active), their entities, the entity tree (scope), and a token's validity.
-- Recording a token's use (last_used_at) notifies no one.

CREATE FUNCTION notify_identity_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('veerkracht_identity', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_identity_changed();
CREATE TRIGGER user_entities_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_entities
    FOR EACH STATEMENT EXECUTE FUNCTION notify_identity_changed();
CREATE TRIGGER entities_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON entities
    FOR EACH STATEMENT EXECUTE FUNCTION notify_identity_changed();
CREATE TRIGGER api_tokens_notify AFTER UPDATE OF user_id, prefix, secret_hash, expires_at, revoked_at OR DELETE OR TRUNCATE
    ON api_tokens FOR EACH STATEMENT EXECUTE FUNCTION notify_identity_changed();
