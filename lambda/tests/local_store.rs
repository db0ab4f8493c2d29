//! The handler on a folder-backed store, as in `examples/local.rs`.

use std::path::{Path, PathBuf};

use thumbing_lambda::handler::{Config, Outcome, handle_payload};
use thumbing_storage::{LocalStore, PutOptions, Store};

/// An empty folder for one test, under Cargo's temporary folder for integration tests.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test]
async fn the_handler_runs_on_a_folder() {
    let root = fresh_dir("handler-on-a-folder");
    let store = LocalStore::new(&root);
    let photo = include_bytes!("../../fixtures/landscape_2.jpg").to_vec();
    store.put("uploads", "in/me.jpg", photo, PutOptions::default()).await.unwrap();
    let event = serde_json::json!({"Records": [{
        "eventName": "ObjectCreated:Put", "eventTime": "2024-05-01T12:00:00Z",
        "userIdentity": {}, "requestParameters": {}, "responseElements": {},
        "s3": {"bucket": {"name": "uploads"}, "object": {"key": "in/me.jpg"}}
    }]});
    let report = handle_payload(&store, &Config::new("assets"), event).await.unwrap();
    assert!(matches!(report.records[0].outcome, Outcome::Processed { .. }), "{report:?}");
    let avatar = std::fs::read(root.join("assets/avatars/me.jpg")).unwrap();
    let info = thumbing::probe(&avatar).unwrap();
    assert_eq!((info.width, info.height), (512, 512));
}
