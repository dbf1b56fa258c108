-- Schema "registry": people, tokens, the signing key, workers and their heartbeats.

CREATE TABLE users (
    id            uuid         PRIMARY KEY,
    username      varchar(64)  NOT NULL,
    password_hash varchar(100) NOT NULL,
    roles         text[]       NOT NULL,
    enabled       boolean      NOT NULL,
    created_at    timestamptz  NOT NULL,
    version       bigint       NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username)
);

-- Only SHA-256 hashes: a copy of this table cannot be replayed.
CREATE TABLE refresh_tokens (
    token_hash varchar(64) PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);

-- Keys that sign access tokens. Inactive keys stay published in the JWKS until tokens signed with them expire.
CREATE TABLE signing_keys (
    kid         varchar(64) PRIMARY KEY,
    algorithm   varchar(16) NOT NULL,
    public_key  text        NOT NULL, -- X.509 SubjectPublicKeyInfo, base64
    private_key text        NOT NULL, -- PKCS#8, base64
    active      boolean     NOT NULL,
    created_at  timestamptz NOT NULL
);
-- At most one active key, so that instances starting at the same time cannot both create one.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (active) WHERE active;

CREATE TABLE workers (
    id         uuid        PRIMARY KEY,
    name       varchar(64) NOT NULL,
    labels     text[]      NOT NULL,
    token_hash varchar(64) NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid        NOT NULL,
    deleted_at timestamptz,
    version    bigint      NOT NULL
);
-- A deleted worker's name may be registered again.
CREATE UNIQUE INDEX workers_live_name ON workers (name) WHERE deleted_at IS NULL;

-- Kept apart from workers: written every second in batches, never touches the versioned worker rows.
CREATE TABLE worker_heartbeats (
    worker_id    uuid        PRIMARY KEY REFERENCES workers (id) ON DELETE CASCADE,
    received_at  timestamptz NOT NULL,
    capabilities jsonb       NOT NULL,
    running      jsonb       NOT NULL,
    free_slots   integer     NOT NULL
);
CREATE INDEX worker_heartbeats_received_at ON worker_heartbeats (received_at);
