-- Fresh statistics on tasks whatever the table's size. By default autovacuum analyzes a table once 10 % of its rows
-- changed: with 400,000 finished tasks a backlog of 12,000 new ones went unnoticed, the planner still believed the
-- queue held one row, and statements that name one task by id and an open status (cancel, the queue-timeout sweep)
-- walked the whole queue through its partial indexes: 15 ms each instead of 0.1-0.3 ms. 5,000 changed rows trigger an
-- analyze now (at most one per autovacuum round, a minute by default; about half a second of CPU here).
ALTER TABLE tasks SET (autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000);
