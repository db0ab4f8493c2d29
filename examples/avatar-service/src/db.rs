//! Profile data: the `users` table in SQLite (the default, a file in the data directory) or
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
                .busy_timeout(std::time::Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(sql("opening the SQLite database"))?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(std::time::Duration::from_secs(10))
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

    /// Runs a statement that returns nothing (for tests and administration).
    pub async fn execute(&self, statement: &str) -> Result<(), DbError> {
        on_pool!(self, |p| p.execute(statement).await.map(|_| ())).map_err(sql("running a statement"))
    }

    /// Closes the pool.
    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
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
