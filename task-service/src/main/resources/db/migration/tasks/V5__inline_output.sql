-- The output JSON an agent sends with a completion (a handler's output of up to 16 KiB) instead of uploading it as
-- result.json to the result-service; kept per attempt, like the uploads, so that only the recorded attempt's counts.
-- json, not jsonb: the output keeps the key order its task wrote it in
ALTER TABLE task_attempts ADD COLUMN output json;
