-- Tasks, their attempts and the leases of the workers that run them.
-- Requirements are plain columns so that one SQL statement can match queued tasks against an agent's capabilities.
CREATE TABLE tasks (
    id                uuid PRIMARY KEY,
    type              varchar(64)  NOT NULL,
    status            varchar(16)  NOT NULL,
    owner             varchar(200) NOT NULL,
    owner_name        varchar(200) NOT NULL,
    input             jsonb        NOT NULL,
    req_cpus          integer      NOT NULL DEFAULT 0,
    req_memory_mb     bigint       NOT NULL DEFAULT 0,
    req_gpus          integer      NOT NULL DEFAULT 0,
    req_gpu_memory_mb bigint       NOT NULL DEFAULT 0,
    req_labels        text[]       NOT NULL DEFAULT '{}',
    priority          integer      NOT NULL DEFAULT 0,
    timeout_seconds   integer,
    max_attempts      integer      NOT NULL,
    idempotency_key   varchar(200),
    target_workers    text[]       NOT NULL DEFAULT '{}',
    -- the fencing token: number of the current attempt, 0 while never assigned
    attempt           integer      NOT NULL DEFAULT 0,
    worker_id         varchar(200),
    progress          jsonb,
    error             text,
    created_at        timestamptz  NOT NULL,
    -- when the task last entered QUEUED (creation or requeue), for the dispatch latency
    queued_at         timestamptz  NOT NULL,
    assigned_at       timestamptz,
    started_at        timestamptz,
    finished_at       timestamptz,
    version           bigint       NOT NULL DEFAULT 0,
    CONSTRAINT tasks_status_check CHECK (status IN ('QUEUED', 'ASSIGNED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'))
);

-- one task per owner and idempotency key, even when two submissions race
CREATE UNIQUE INDEX tasks_owner_idempotency_key ON tasks (owner, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- the dispatcher's claim: queued tasks by priority, oldest first
CREATE INDEX tasks_queued ON tasks (priority DESC, created_at) WHERE status = 'QUEUED';
-- the lease sweep and reconciliation: what each worker holds
CREATE INDEX tasks_active_worker ON tasks (worker_id) WHERE status IN ('ASSIGNED', 'RUNNING');
CREATE INDEX tasks_owner_created ON tasks (owner, created_at DESC);
CREATE INDEX tasks_created ON tasks (created_at DESC);

CREATE TABLE task_attempts (
    task_id     uuid         NOT NULL REFERENCES tasks (id),
    attempt     integer      NOT NULL,
    worker_id   varchar(200) NOT NULL,
    status      varchar(16)  NOT NULL,
    assigned_at timestamptz  NOT NULL,
    started_at  timestamptz,
    finished_at timestamptz,
    error       text,
    PRIMARY KEY (task_id, attempt),
    CONSTRAINT task_attempts_status_check
        CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST', 'STALE'))
);

-- renewed in one batch per flush from the agents' heartbeats; a worker without an unexpired lease has lost its tasks
CREATE TABLE worker_leases (
    worker_id  varchar(200) PRIMARY KEY,
    expires_at timestamptz  NOT NULL
);
