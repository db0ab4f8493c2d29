//! Migrations up, down and up again, on SQLite and on a real PostgreSQL
//! (`THUMBING_TEST_DATABASE_URL`, started by `scripts/test-service.sh`), and the
//! `migrate` / `rollback` commands of the binary.

mod common;

use common::*;
use thumbing_avatar_service::db::Db;

const CREATE: i64 = 20260101000001;
const BIO: i64 = 20260101000002;
const JOBS: i64 = 20260101000003;

async fn up_down_up(db: &Db) {
    assert_eq!(db.applied().await.unwrap(), Vec::<i64>::new());
    assert_eq!(db.migrate().await.unwrap(), [CREATE, BIO, JOBS]);
    assert_eq!(db.migrate().await.unwrap(), Vec::<i64>::new(), "nothing pending");
    assert!(db.has_column("users", "bio").await.unwrap());
    db.record_job("sub-1", "0b1c5f1e-2f5a-4c57-9c1e-6a2f4f7d2b11", "sub-1.png").await.unwrap();
    assert_eq!(db.pending_jobs().await.unwrap().len(), 1);
    let user = db.ensure_user("sub-1", "ada", "Ada").await.unwrap();
    let user2 = db.update_profile("sub-1", "Ada L.", Some("Analytical engines")).await.unwrap().unwrap();
    assert_eq!((user2.uuid.as_str(), user2.bio.as_deref()), (user.uuid.as_str(), Some("Analytical engines")));
    // The handle is unique: a second user wanting it gets a suffixed one.
    let other = db.ensure_user("sub-2", "ada", "Other Ada").await.unwrap();
    assert_eq!(other.handle, "ada-sub2");

    assert_eq!(db.rollback().await.unwrap(), Some(JOBS));
    assert!(!db.has_column("avatar_jobs", "job_id").await.unwrap(), "avatar_jobs dropped");
    assert_eq!(db.rollback().await.unwrap(), Some(BIO));
    assert!(!db.has_column("users", "bio").await.unwrap(), "bio dropped");
    assert!(db.has_column("users", "handle").await.unwrap(), "the table and its rows stay");
    assert_eq!(db.applied().await.unwrap(), [CREATE]);
    assert_eq!(db.rollback().await.unwrap(), Some(CREATE));
    assert!(!db.has_column("users", "handle").await.unwrap(), "table dropped");
    assert_eq!(db.rollback().await.unwrap(), None);

    assert_eq!(db.migrate().await.unwrap(), [CREATE, BIO, JOBS]);
    assert!(db.has_column("users", "bio").await.unwrap());
    assert_eq!(db.pending_jobs().await.unwrap().len(), 0, "a new avatar_jobs table");
    let again = db.ensure_user("sub-1", "ada", "Ada").await.unwrap();
    assert_eq!(again.bio, None);
    assert_eq!(db.user_by_handle("ada").await.unwrap().unwrap().cognito_user_id, "sub-1");
}

#[tokio::test]
async fn sqlite_migrations_go_up_down_and_up() {
    let dir = temp_dir("sqlite");
    let db = Db::connect(&format!("sqlite:{}", dir.join("db.sqlite3").display())).await.unwrap();
    up_down_up(&db).await;
    db.close().await;
}

#[tokio::test]
async fn postgres_migrations_go_up_down_and_up() {
    let Ok(admin_url) = std::env::var("THUMBING_TEST_DATABASE_URL") else {
        assert!(!required(), "THUMBING_TEST_DATABASE_URL is not set (CI=true): run scripts/test-service.sh");
        println!("skipped: THUMBING_TEST_DATABASE_URL is not set (scripts/test-service.sh starts PostgreSQL)");
        return;
    };
    // A database of its own, so that the test can run beside others.
    let name = format!("thumbing_migrations_{}", std::process::id());
    let admin = Db::connect(&admin_url).await.unwrap();
    admin.execute(&format!("DROP DATABASE IF EXISTS {name}")).await.unwrap();
    admin.execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("THUMBING_TEST_DATABASE_URL has no database name"),
    };
    let db = Db::connect(&url).await.unwrap();
    up_down_up(&db).await;
    db.close().await;
    // The pool's sessions may still be ending on the server: FORCE (PostgreSQL 13+) ends them
    // instead of failing with "being accessed by other users".
    admin.execute(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
    admin.close().await;
}

#[test]
fn the_binary_migrates_and_rolls_back() {
    let dir = temp_dir("cli");
    let run = |command: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_avatar-service"))
            .args([command, "--data-dir"])
            .arg(&dir)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run("migrate"), format!("applied {CREATE}\napplied {BIO}\napplied {JOBS}\n"));
    assert_eq!(run("migrate"), "no pending migrations\n");
    assert_eq!(run("rollback"), format!("rolled back {JOBS}\n"));
    assert_eq!(run("migrate"), format!("applied {JOBS}\n"));
    assert!(dir.join("avatar-service.sqlite3").is_file());

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_avatar-service"))
        .args(["serve", "--data-dir"])
        .arg(&dir)
        .env("ALLOWED_ORIGINS", "*")
        .env("MAX_UPLOAD_BYTES", "big")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("ALLOWED_ORIGINS") && stderr.contains("MAX_UPLOAD_BYTES"), "{stderr}");
}
