-- Identity: the organisational tree, users with roles, their access tokens, and the
-- idempotency keys that make creates safe to retry.

CREATE TABLE entities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code text NOT NULL CONSTRAINT entities_code_key UNIQUE
        CONSTRAINT entities_code_format CHECK (code ~ '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$' AND length(code) BETWEEN 2 AND 32),
    name text NOT NULL CONSTRAINT entities_name_length CHECK (length(name) BETWEEN 1 AND 200),
    parent_id uuid CONSTRAINT entities_parent_fk REFERENCES entities (id),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT entities_not_own_parent CHECK (parent_id <> id)
);
CREATE INDEX entities_parent_idx ON entities (parent_id);
CREATE TRIGGER entities_touch BEFORE UPDATE ON entities FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email citext NOT NULL CONSTRAINT users_email_key UNIQUE
        CONSTRAINT users_email_format CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 254),
    display_name text NOT NULL CONSTRAINT users_display_name_length CHECK (length(display_name) BETWEEN 1 AND 200),
    roles text[] NOT NULL DEFAULT '{}'
        CONSTRAINT users_roles_known CHECK (roles <@ ARRAY['officer', 'hr', 'panel', 'physician', 'admin', 'auditor']),
    active boolean NOT NULL DEFAULT true,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The entities a user works for; their scope is these and everything below them.
CREATE TABLE user_entities (
    user_id uuid NOT NULL CONSTRAINT user_entities_user_fk REFERENCES users (id) ON DELETE CASCADE,
    entity_id uuid NOT NULL CONSTRAINT user_entities_entity_fk REFERENCES entities (id),
    PRIMARY KEY (user_id, entity_id)
);
CREATE INDEX user_entities_entity_idx ON user_entities (entity_id);

-- Only a SHA-256 of the 256-bit secret is kept; the public prefix finds the row.
CREATE TABLE api_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL CONSTRAINT api_tokens_user_fk REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL CONSTRAINT api_tokens_name_length CHECK (length(name) BETWEEN 1 AND 100),
    prefix text NOT NULL CONSTRAINT api_tokens_prefix_key UNIQUE
        CONSTRAINT api_tokens_prefix_format CHECK (prefix ~ '^[0-9a-f]{16}$'),
    secret_hash bytea NOT NULL CONSTRAINT api_tokens_secret_hash_length CHECK (length(secret_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz,
    CONSTRAINT api_tokens_expiry_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_at DESC, id DESC);

-- A create's stored answer, replayed for a retry with the same key and body.
CREATE TABLE idempotency_keys (
    user_id uuid NOT NULL CONSTRAINT idempotency_keys_user_fk REFERENCES users (id) ON DELETE CASCADE,
    key text NOT NULL CONSTRAINT idempotency_keys_key_length CHECK (length(key) BETWEEN 1 AND 255),
    operation text NOT NULL,
    request_hash bytea NOT NULL,
    status int NOT NULL,
    location text,
    etag text,
    body bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
