//! The OpenAPI document is snapshotted in `gasstock-server/openapi.json`, so any change to
//! the API contract shows up in review as a diff of that file. After an intended change:
//!
//! ```sh
//! GASSTOCK_UPDATE_SNAPSHOT=1 cargo test -p gasstock-server --test openapi_snapshot
//! ```

use std::path::Path;

#[test]
fn the_openapi_document_matches_its_snapshot() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let current = format!("{}\n", gasstock_server::openapi::spec_json());
    if std::env::var("GASSTOCK_UPDATE_SNAPSHOT").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &current).expect("write the snapshot");
        return;
    }
    let snapshot = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        snapshot == current,
        "the OpenAPI document differs from {}: if the change is intended, run \
         GASSTOCK_UPDATE_SNAPSHOT=1 cargo test -p gasstock-server --test openapi_snapshot and commit the file",
        path.display()
    );
}
