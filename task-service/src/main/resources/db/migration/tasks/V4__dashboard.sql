-- Indexes for the dashboard: task lists newest first with keyset paging on (created_at, id), filtered by owner,
-- status, type or a type prefix, and per-minute statistics of finished tasks.
-- Every list query orders by (created_at DESC, id DESC); each index ends with those two columns so that a filtered
-- page is read in index order and stops after one page, however many rows match.

-- superseded by the indexes below, which end with id for the keyset
DROP INDEX IF EXISTS tasks_owner_created;
DROP INDEX IF EXISTS tasks_created;

CREATE INDEX tasks_created_id ON tasks (created_at DESC, id DESC);
CREATE INDEX tasks_owner_created_id ON tasks (owner, created_at DESC, id DESC);
CREATE INDEX tasks_owner_status_created_id ON tasks (owner, status, created_at DESC, id DESC);
CREATE INDEX tasks_status_created_id ON tasks (status, created_at DESC, id DESC);
-- pattern ops: serves both type = ? and the search's type LIKE 'prefix%' whatever the database's collation
CREATE INDEX tasks_type_created_id ON tasks (type varchar_pattern_ops, created_at DESC, id DESC);

-- statistics: outcomes per minute, read from the index alone
CREATE INDEX tasks_finished ON tasks (finished_at) INCLUDE (status, owner) WHERE finished_at IS NOT NULL;
