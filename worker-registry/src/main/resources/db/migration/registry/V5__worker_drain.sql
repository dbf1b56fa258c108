-- Whether the worker's task-service says an administrator drained it (it finishes what it runs, gets nothing new).
ALTER TABLE worker_heartbeats ADD COLUMN draining boolean NOT NULL DEFAULT false;
