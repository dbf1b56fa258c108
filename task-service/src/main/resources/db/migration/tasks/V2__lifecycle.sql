-- The task lifecycle: retry backoff, queue and run timeouts, priorities with aging, waiting reasons, the fleet's
-- capabilities (so that every instance sees every online worker), drained workers and observed run times.

-- null: runnable now; else a retry waits for its backoff until then
ALTER TABLE tasks ADD COLUMN run_after timestamptz;
-- per-task overrides of taskmesh.tasks.retry-backoff and retry-backoff-max; null: the configured defaults
ALTER TABLE tasks ADD COLUMN retry_backoff_seconds integer;
ALTER TABLE tasks ADD COLUMN retry_max_backoff_seconds integer;
-- how long the task may wait in the queue once runnable; null: forever
ALTER TABLE tasks ADD COLUMN queue_timeout_seconds integer;
-- when the queue timeout fails the task: set whenever the task enters QUEUED, null without a queue timeout
ALTER TABLE tasks ADD COLUMN queue_deadline timestamptz;
-- why no online worker can ever run the task, set and cleared by a periodic check; null while one could
ALTER TABLE tasks ADD COLUMN waiting_reason text;
-- The claim order: when the task became runnable minus priority x taskmesh.tasks.aging-interval, set whenever the
-- task enters QUEUED. Earlier runs first. Ordering by it equals ordering by "priority + time waited / aging
-- interval" (the now-dependent part is the same for every row), so a plain index serves an aging queue.
ALTER TABLE tasks ADD COLUMN dispatch_at timestamptz;
UPDATE tasks SET dispatch_at = queued_at - priority * interval '60 seconds';
ALTER TABLE tasks ALTER COLUMN dispatch_at SET NOT NULL;

DROP INDEX tasks_queued;
CREATE INDEX tasks_queued ON tasks (dispatch_at) WHERE status = 'QUEUED';
CREATE INDEX tasks_queue_deadline ON tasks (queue_deadline) WHERE status = 'QUEUED' AND queue_deadline IS NOT NULL;
-- the owner limit counts what each owner runs
CREATE INDEX tasks_active_owner ON tasks (owner) WHERE status IN ('ASSIGNED', 'RUNNING');
-- the estimate counts unfinished tasks per type
CREATE INDEX tasks_open_type ON tasks (type, status) WHERE status IN ('QUEUED', 'ASSIGNED', 'RUNNING');

-- What each worker offered in its latest heartbeat, written by the same batched upsert that renews the lease.
-- Null until the first heartbeat that carried them.
ALTER TABLE worker_leases ADD COLUMN heard_at timestamptz;
ALTER TABLE worker_leases ADD COLUMN cpus integer;
ALTER TABLE worker_leases ADD COLUMN memory_mb bigint;
ALTER TABLE worker_leases ADD COLUMN gpu_memory_mb bigint[];
ALTER TABLE worker_leases ADD COLUMN labels text[];
ALTER TABLE worker_leases ADD COLUMN task_types text[];
ALTER TABLE worker_leases ADD COLUMN slots integer;
ALTER TABLE worker_leases ADD COLUMN draining boolean NOT NULL DEFAULT false;
CREATE INDEX worker_leases_expires_at ON worker_leases (expires_at);

-- Workers an administrator drained: they finish what they run and are offered nothing new. The truth for every
-- instance (worker_leases.draining is a copy for readers of the fleet).
CREATE TABLE worker_drains (
    worker_id  varchar(200) PRIMARY KEY,
    drained_at timestamptz  NOT NULL,
    drained_by varchar(200) NOT NULL
);

-- Exponentially weighted moving average of the run time of attempts, per task type; one row per type.
CREATE TABLE task_type_stats (
    type            varchar(64)      PRIMARY KEY,
    avg_run_seconds double precision NOT NULL,
    samples         bigint           NOT NULL,
    updated_at      timestamptz      NOT NULL
);
