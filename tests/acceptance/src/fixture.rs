//! What a test starts from: the shared environment, its variables, fresh
//! repositories and names no earlier run has taken.
#![expect(
    clippy::panic,
    reason = "test harness: a step that cannot run fails the calling test with its reason"
)]

use crate::env::{Environment, RepoUrls};

/// The shared environment; a test fails when it cannot start.
pub fn env() -> &'static Environment {
    Environment::shared().unwrap_or_else(|e| panic!("test environment: {e}"))
}

/// One exported variable of the environment.
pub fn var(name: &str) -> String {
    env()
        .get_var(name)
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

/// The content of the file a variable names.
pub fn read_var_file(name: &str) -> String {
    std::fs::read_to_string(var(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

/// A name no earlier run against the same (reused) environment has taken.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}-{:x}{nanos:08x}", std::process::id())
}

/// A new repository on the git server, `empty` or with an initial commit; the name
/// is made unique since repositories outlive runs.
pub fn repo(name: &str, empty: bool) -> RepoUrls {
    let name = unique(name);
    env()
        .create_repo(&name, empty)
        .unwrap_or_else(|e| panic!("create repo {name}: {e}"))
}
