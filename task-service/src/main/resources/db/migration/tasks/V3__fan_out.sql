-- Fan-out and fan-in: child tasks of a running task, groups submitted by a client, broadcasts to several workers.

-- the task that submitted this one (a running task through its agent), or the group it belongs to
ALTER TABLE tasks ADD COLUMN parent_id uuid REFERENCES tasks (id);
-- the agent's request id of a child submitted by a running task: a resend with the same id creates nothing
ALTER TABLE tasks ADD COLUMN child_request_id varchar(200);

-- the children of a task, oldest first (the task JSON's children list, the cascade of a cancel, the group check)
CREATE INDEX tasks_parent ON tasks (parent_id, created_at, id) WHERE parent_id IS NOT NULL;
CREATE UNIQUE INDEX tasks_parent_request ON tasks (parent_id, child_request_id) WHERE child_request_id IS NOT NULL;
-- groups that still wait for children, for the sweep that catches a completion check lost in a crash
CREATE INDEX tasks_running_groups ON tasks (created_at) WHERE type = 'group' AND status = 'RUNNING';

-- the labels of each worker's agent, written when its session registers: a broadcast to a label picks the online
-- workers (unexpired lease) that carry it. IF NOT EXISTS: another migration may add the same column.
ALTER TABLE worker_leases ADD COLUMN IF NOT EXISTS labels text[] NOT NULL DEFAULT '{}';

-- whether a parent still has open children: the group check after every child's outcome stops at the first one
CREATE INDEX tasks_open_children ON tasks (parent_id)
    WHERE parent_id IS NOT NULL AND status IN ('QUEUED', 'ASSIGNED', 'RUNNING');
