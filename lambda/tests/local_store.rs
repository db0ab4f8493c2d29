//! The handler on a folder-backed store, as in `examples/local.rs`.

use std::path::Path;

use thumbing_lambda::handler::{Config, Outcome, handle_payload};
use thumbing_storage::{LocalStore, PutOptions, Store};

#[tokio::test]
async fn the_handler_runs_on_a_folder() {
    // A fresh folder under Cargo's temporary folder for integration tests.
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("handler-on-a-folder");
    let _ = std::fs::remove_dir_all(&root);
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
