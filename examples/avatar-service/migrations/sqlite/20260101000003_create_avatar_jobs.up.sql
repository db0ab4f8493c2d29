-- One row per user: the processing job of the user's latest upload. A newer upload replaces
-- the row (new job_id), so an older job's outcome can never overwrite a newer one's.
CREATE TABLE avatar_jobs (
    sub TEXT PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL,
    upload_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'rejected', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    message TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX avatar_jobs_pending ON avatar_jobs (created_at) WHERE state = 'pending';
