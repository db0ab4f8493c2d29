//! Profile data and processing jobs: the `users` and `avatar_jobs` tables in SQLite (the default, a file in the data directory) or
//! PostgreSQL (`DATABASE_URL=postgres://…`), with reversible migrations.
//!
//! The migrations live in `migrations/sqlite/` and `migrations/postgres/` as
//! `<version>_<name>.up.sql` / `.down.sql` pairs and are compiled into the binary. They are
//! applied with sqlx's migrator, which records each one (version, checksum) in the
//! `_sqlx_migrations` table, applies pending ones in version order inside a transaction, and
//! refuses to run when an applied migration's file has changed. [`Db::rollback`] undoes the
//! latest applied migration with its `.down.sql`.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Executor, Row};

/// One embedded migration: version, name, up SQL, down SQL.
type Embedded = (i64, &'static str, &'static str, &'static str);

const SQLITE_MIGRATIONS: &[Embedded] = &[
    (
        20260101000001,
        "create users",
        include_str!("../migrations/sqlite/20260101000001_create_users.up.sql"),
        include_str!("../migrations/sqlite/20260101000001_create_users.down.sql"),
    ),
    (
        20260101000002,
        "add bio to users",
        include_str!("../migrations/sqlite/20260101000002_add_bio_to_users.up.sql"),
        include_str!("../migrations/sqlite/20260101000002_add_bio_to_users.down.sql"),
    ),
    (
        20260101000003,
        "create avatar jobs",
        include_str!("../migrations/sqlite/20260101000003_create_avatar_jobs.up.sql"),
        include_str!("../migrations/sqlite/20260101000003_create_avatar_jobs.down.sql"),
    ),
];

const POSTGRES_MIGRATIONS: &[Embedded] = &[
    (
        20260101000001,
        "create users",
        include_str!("../migrations/postgres/20260101000001_create_users.up.sql"),
        include_str!("../migrations/postgres/20260101000001_create_users.down.sql"),
    ),
    (
        20260101000002,
        "add bio to users",
        include_str!("../migrations/postgres/20260101000002_add_bio_to_users.up.sql"),
        include_str!("../migrations/postgres/20260101000002_add_bio_to_users.down.sql"),
    ),
    (
        20260101000003,
        "create avatar jobs",
        include_str!("../migrations/postgres/20260101000003_create_avatar_jobs.up.sql"),
        include_str!("../migrations/postgres/20260101000003_create_avatar_jobs.down.sql"),
    ),
];

/// The embedded migrations of one database kind, as a sqlx [`MigrationSource`].
#[derive(Debug, Clone, Copy)]
struct EmbeddedMigrations(&'static [Embedded]);

impl<'s> MigrationSource<'s> for EmbeddedMigrations {
    fn resolve(self) -> futures_util::future::BoxFuture<'s, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async move {
            let mut list = Vec::new();
            for &(version, name, up, down) in self.0 {
                list.push(Migration::new(
                    version,
                    Cow::Borrowed(name),
                    MigrationType::ReversibleUp,
                    Cow::Borrowed(up),
                    false,
                ));
                list.push(Migration::new(
                    version,
                    Cow::Borrowed(name),
                    MigrationType::ReversibleDown,
                    Cow::Borrowed(down),
                    false,
                ));
            }
            Ok(list)
        })
    }
}

/// A database error, with the operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// `DATABASE_URL` is neither `sqlite:` nor `postgres://`/`postgresql://`.
    #[error("DATABASE_URL must start with sqlite:, postgres:// or postgresql:// (got {0:?})")]
    UnsupportedUrl(String),
    /// A query or connection failed.
    #[error("{context}: {source}")]
    Sql {
        /// What was being done.
        context: &'static str,
        /// The driver error.
        source: sqlx::Error,
    },
    /// A migration failed or the applied migrations do not match the embedded ones.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl DbError {
    /// Whether the database is unavailable for now (locked, busy, unreachable, out of
    /// connections) rather than refusing the statement: the service answers 503 and the
    /// processing workers retry.
    ///
    /// ```
    /// use thumbing_avatar_service::db::DbError;
    /// let e = DbError::Sql { context: "reading a user", source: sqlx::Error::PoolTimedOut };
    /// assert!(e.is_unavailable());
    /// assert!(!DbError::UnsupportedUrl("mysql://".into()).is_unavailable());
    /// ```
    pub fn is_unavailable(&self) -> bool {
        let DbError::Sql { source, .. } = self else { return false };
        match source {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(e) => {
                let code = e.code().unwrap_or_default();
                // SQLite: BUSY (5) and LOCKED (6) with their extended codes, CANTOPEN (14),
                // IOERR (10…). PostgreSQL: connection exceptions (08…), shutting down or
                // starting (57P01-57P03), too many connections (53300).
                let sqlite_code = code.parse::<i64>().ok().map(|c| c & 0xff);
                matches!(sqlite_code, Some(5 | 6 | 10 | 14))
                    || code.starts_with("08")
                    || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
                    || e.message().contains("database is locked")
            }
            _ => false,
        }
    }
}

fn sql(context: &'static str) -> impl FnOnce(sqlx::Error) -> DbError {
    move |source| DbError::Sql { context, source }
}

/// Runs the same code on whichever pool `db` holds (the two pool types differ, the code
/// does not).
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// A row of `users`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// The user's id in this service.
    pub uuid: String,
    /// The identity provider's subject (`sub`).
    pub cognito_user_id: String,
    /// The public handle, unique.
    pub handle: String,
    /// The display name.
    pub display_name: String,
    /// The biography, if any.
    pub bio: Option<String>,
}

/// The state of a processing job, as stored in `avatar_jobs.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Recorded, not finished: resumed at start-up.
    Pending,
    /// The avatar of this upload is written.
    Done,
    /// Not a usable image: recorded once, never retried.
    Rejected,
    /// Not processed for another reason (the upload vanished, storage kept failing).
    Failed,
}

impl JobState {
    /// The stored spelling.
    ///
    /// ```
    /// assert_eq!(thumbing_avatar_service::db::JobState::Pending.as_str(), "pending");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Done => "done",
            JobState::Rejected => "rejected",
            JobState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> JobState {
        match text {
            "done" => JobState::Done,
            "rejected" => JobState::Rejected,
            "failed" => JobState::Failed,
            _ => JobState::Pending,
        }
    }
}

/// A row of `avatar_jobs`: the job of a user's latest upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The user's subject.
    pub sub: String,
    /// This upload's job id; a newer upload gets a new one.
    pub job_id: String,
    /// The upload's key in the uploads bucket.
    pub upload_key: String,
    /// Where it stands.
    pub state: JobState,
    /// Tries made so far.
    pub attempts: i64,
    /// The error category of a rejected or failed job.
    pub error: Option<String>,
    /// The error message (also the latest storage error of a pending job being retried).
    pub message: Option<String>,
}

/// A connection pool to SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub enum Db {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

impl Db {
    /// Connects to `url`: `sqlite:<path>` (the file is created if missing) or
    /// `postgres://user@host:port/db`.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(std::time::Duration::from_secs(5))
                // Readers do not wait for the writer, and a crash loses no committed row.
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(sql("opening the SQLite database"))?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(std::time::Duration::from_secs(5))
                .connect(url)
                .await
                .map_err(sql("connecting to PostgreSQL"))?;
            Ok(Db::Postgres(pool))
        } else {
            Err(DbError::UnsupportedUrl(url.to_owned()))
        }
    }

    fn source(&self) -> EmbeddedMigrations {
        match self {
            Db::Sqlite(_) => EmbeddedMigrations(SQLITE_MIGRATIONS),
            Db::Postgres(_) => EmbeddedMigrations(POSTGRES_MIGRATIONS),
        }
    }

    /// The SQLite or the PostgreSQL spelling of a statement.
    fn pick(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Db::Sqlite(_) => sqlite,
            Db::Postgres(_) => postgres,
        }
    }

    async fn migrator(&self) -> Result<Migrator, DbError> {
        Ok(Migrator::new(self.source()).await?)
    }

    /// The versions of the applied migrations, in order.
    pub async fn applied(&self) -> Result<Vec<i64>, DbError> {
        let exists = self.pick(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            "SELECT 1 FROM pg_tables WHERE tablename = '_sqlx_migrations' AND schemaname = current_schema()",
        );
        let exists = on_pool!(self, |p| sqlx::query(exists).fetch_optional(p).await.map(|r| r.is_some()));
        if !exists.map_err(sql("listing tables"))? {
            return Ok(Vec::new());
        }
        const Q: &str = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        let versions = on_pool!(self, |p| {
            sqlx::query(Q).fetch_all(p).await.map(|rows| rows.iter().map(|r| r.get::<i64, _>(0)).collect())
        });
        versions.map_err(sql("reading the applied migrations"))
    }

    /// Applies every pending migration; returns the versions applied by this call.
    pub async fn migrate(&self) -> Result<Vec<i64>, DbError> {
        let before = self.applied().await?;
        let migrator = self.migrator().await?;
        on_pool!(self, |p| migrator.run(p).await)?;
        let after = self.applied().await?;
        Ok(after.into_iter().filter(|v| !before.contains(v)).collect())
    }

    /// Undoes the latest applied migration; returns its version, or `None` when nothing
    /// is applied.
    pub async fn rollback(&self) -> Result<Option<i64>, DbError> {
        let applied = self.applied().await?;
        let Some(&last) = applied.last() else { return Ok(None) };
        let target = applied.len().checked_sub(2).map_or(0, |i| applied[i]);
        let migrator = self.migrator().await?;
        on_pool!(self, |p| migrator.undo(p, target).await)?;
        Ok(Some(last))
    }

    /// Whether `table` has a column `column` (used by the migration tests).
    pub async fn has_column(&self, table: &str, column: &str) -> Result<bool, DbError> {
        let q = self.pick(
            "SELECT 1 FROM pragma_table_info(?) WHERE name = ?",
            "SELECT 1 FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
        );
        let found =
            on_pool!(self, |p| sqlx::query(q).bind(table).bind(column).fetch_optional(p).await.map(|r| r.is_some()));
        found.map_err(sql("reading the table's columns"))
    }

    /// The user whose identity-provider subject is `sub`.
    pub async fn user_by_sub(&self, sub: &str) -> Result<Option<User>, DbError> {
        let q = self.pick(
            "SELECT uuid, cognito_user_id, handle, display_name, bio FROM users WHERE cognito_user_id = ?",
            "SELECT uuid::text, cognito_user_id, handle, display_name, bio FROM users WHERE cognito_user_id = $1",
        );
        let row =
            on_pool!(self, |p| sqlx::query(q).bind(sub).fetch_optional(p).await.map(|r| r.map(|r| user_from(&r))));
        row.map_err(sql("reading a user"))
    }

    /// The user with this handle.
    pub async fn user_by_handle(&self, handle: &str) -> Result<Option<User>, DbError> {
        let q = self.pick(
            "SELECT uuid, cognito_user_id, handle, display_name, bio FROM users WHERE handle = ?",
            "SELECT uuid::text, cognito_user_id, handle, display_name, bio FROM users WHERE handle = $1",
        );
        let row =
            on_pool!(self, |p| sqlx::query(q).bind(handle).fetch_optional(p).await.map(|r| r.map(|r| user_from(&r))));
        row.map_err(sql("reading a user"))
    }

    /// Returns the user of `sub`, creating it on first sight with `handle` (or, when that
    /// handle is taken, `handle` followed by the start of `sub`).
    pub async fn ensure_user(&self, sub: &str, handle: &str, display_name: &str) -> Result<User, DbError> {
        if let Some(user) = self.user_by_sub(sub).await? {
            return Ok(user);
        }
        let q = self.pick(
            "INSERT INTO users (uuid, cognito_user_id, handle, display_name) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            "INSERT INTO users (uuid, cognito_user_id, handle, display_name) VALUES ($1::uuid, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        );
        let short: String = sub.chars().filter(|c| c.is_ascii_alphanumeric()).take(8).collect();
        for candidate in [handle.to_owned(), format!("{handle}-{short}")] {
            let uuid = uuid::Uuid::new_v4().to_string();
            let result = on_pool!(self, |p| {
                sqlx::query(q).bind(&uuid).bind(sub).bind(&candidate).bind(display_name).execute(p).await.map(|_| ())
            });
            result.map_err(sql("creating a user"))?;
            // Either this insert won, or a concurrent request created the same user.
            if let Some(user) = self.user_by_sub(sub).await? {
                return Ok(user);
            }
        }
        Err(DbError::Sql { context: "creating a user", source: sqlx::Error::RowNotFound })
    }

    /// Sets the display name and bio of the user of `sub`; `None` when there is no such user.
    pub async fn update_profile(
        &self,
        sub: &str,
        display_name: &str,
        bio: Option<&str>,
    ) -> Result<Option<User>, DbError> {
        let q = self.pick(
            "UPDATE users SET display_name = ?, bio = ? WHERE cognito_user_id = ?",
            "UPDATE users SET display_name = $1, bio = $2 WHERE cognito_user_id = $3",
        );
        let done = on_pool!(self, |p| {
            sqlx::query(q).bind(display_name).bind(bio).bind(sub).execute(p).await.map(|r| r.rows_affected())
        });
        if done.map_err(sql("updating a profile"))? == 0 {
            return Ok(None);
        }
        self.user_by_sub(sub).await
    }

    /// Records the job of a user's new upload before the upload is acknowledged: the row of
    /// `sub` now names `job_id` and `upload_key`, pending, with no attempts. An older job
    /// of the same user is superseded: its outcome will no longer be recorded.
    pub async fn record_job(&self, sub: &str, job_id: &str, upload_key: &str) -> Result<(), DbError> {
        let q = self.pick(
            "INSERT INTO avatar_jobs (sub, job_id, upload_key, state) VALUES (?, ?, ?, 'pending') \
             ON CONFLICT (sub) DO UPDATE SET job_id = excluded.job_id, upload_key = excluded.upload_key, \
             state = 'pending', attempts = 0, error = NULL, message = NULL, \
             created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            "INSERT INTO avatar_jobs (sub, job_id, upload_key, state) VALUES ($1, $2::uuid, $3, 'pending') \
             ON CONFLICT (sub) DO UPDATE SET job_id = excluded.job_id, upload_key = excluded.upload_key, \
             state = 'pending', attempts = 0, error = NULL, message = NULL, created_at = now(), updated_at = now()",
        );
        let done =
            on_pool!(self, |p| { sqlx::query(q).bind(sub).bind(job_id).bind(upload_key).execute(p).await.map(|_| ()) });
        done.map_err(sql("recording a job"))
    }

    /// Records the end of a job, unless a newer upload superseded it; returns whether it
    /// was recorded.
    pub async fn finish_job(
        &self,
        sub: &str,
        job_id: &str,
        state: JobState,
        error: Option<&str>,
        message: Option<&str>,
    ) -> Result<bool, DbError> {
        let q = self.pick(
            "UPDATE avatar_jobs SET state = ?, error = ?, message = ?, attempts = attempts + 1, \
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE sub = ? AND job_id = ?",
            "UPDATE avatar_jobs SET state = $1, error = $2, message = $3, attempts = attempts + 1, \
             updated_at = now() WHERE sub = $4 AND job_id = $5::uuid",
        );
        let done = on_pool!(self, |p| {
            sqlx::query(q)
                .bind(state.as_str())
                .bind(error)
                .bind(message)
                .bind(sub)
                .bind(job_id)
                .execute(p)
                .await
                .map(|r| r.rows_affected() > 0)
        });
        done.map_err(sql("recording a job's outcome"))
    }

    /// Counts a failed try of a pending job and keeps its error message; returns whether
    /// the job is still the user's latest.
    pub async fn note_attempt(&self, sub: &str, job_id: &str, message: &str) -> Result<bool, DbError> {
        let q = self.pick(
            "UPDATE avatar_jobs SET attempts = attempts + 1, message = ?, \
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE sub = ? AND job_id = ? AND state = 'pending'",
            "UPDATE avatar_jobs SET attempts = attempts + 1, message = $1, updated_at = now() \
             WHERE sub = $2 AND job_id = $3::uuid AND state = 'pending'",
        );
        let done = on_pool!(self, |p| {
            sqlx::query(q).bind(message).bind(sub).bind(job_id).execute(p).await.map(|r| r.rows_affected() > 0)
        });
        done.map_err(sql("recording a failed try"))
    }

    /// The job of `sub`'s latest upload.
    pub async fn job(&self, sub: &str) -> Result<Option<Job>, DbError> {
        let q = self.pick(
            "SELECT sub, job_id, upload_key, state, attempts, error, message FROM avatar_jobs WHERE sub = ?",
            "SELECT sub, job_id::text, upload_key, state, attempts::bigint, error, message FROM avatar_jobs \
             WHERE sub = $1",
        );
        let row = on_pool!(self, |p| sqlx::query(q).bind(sub).fetch_optional(p).await.map(|r| r.map(|r| job_from(&r))));
        row.map_err(sql("reading a job"))
    }

    /// Every unfinished job, oldest first (resumed at start-up).
    pub async fn pending_jobs(&self) -> Result<Vec<Job>, DbError> {
        let q = self.pick(
            "SELECT sub, job_id, upload_key, state, attempts, error, message FROM avatar_jobs \
             WHERE state = 'pending' ORDER BY created_at",
            "SELECT sub, job_id::text, upload_key, state, attempts::bigint, error, message FROM avatar_jobs \
             WHERE state = 'pending' ORDER BY created_at",
        );
        let rows = on_pool!(self, |p| sqlx::query(q).fetch_all(p).await.map(|r| r.iter().map(job_from).collect()));
        rows.map_err(sql("reading the unfinished jobs"))
    }

    /// Answers a trivial query: whether the database can be reached.
    pub async fn ping(&self) -> Result<(), DbError> {
        on_pool!(self, |p| sqlx::query("SELECT 1").fetch_one(p).await.map(|_| ())).map_err(sql("reaching the database"))
    }

    /// Runs a statement that returns nothing (for tests and administration).
    pub async fn execute(&self, statement: &str) -> Result<(), DbError> {
        on_pool!(self, |p| p.execute(statement).await.map(|_| ())).map_err(sql("running a statement"))
    }

    /// Closes the pool.
    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
    }
}

fn job_from<R: Row>(row: &R) -> Job
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Job {
        sub: row.get(0),
        job_id: row.get(1),
        upload_key: row.get(2),
        state: JobState::parse(&row.get::<String, _>(3)),
        attempts: row.get(4),
        error: row.get(5),
        message: row.get(6),
    }
}

fn user_from<R: Row>(row: &R) -> User
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    User {
        uuid: row.get(0),
        cognito_user_id: row.get(1),
        handle: row.get(2),
        display_name: row.get(3),
        bio: row.get(4),
    }
}
