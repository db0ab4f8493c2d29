DROP TABLE avatar_jobs;
