//! Users of the environment's git server (lighttpd's basic-auth user file, read again
//! on every request), so that a test can give a configuration credentials of its own
//! and revoke or rotate them between two Terraform runs, as a git host's admin would.
#![expect(
    clippy::panic,
    reason = "test harness: a user file that cannot be written fails the calling test"
)]

use std::path::PathBuf;
use std::sync::Mutex;

use crate::fixture::var;

/// Serializes the rewrites of the user file within the test binary.
static USERS: Mutex<()> = Mutex::new(());

/// A user of the git server, removed when dropped.
pub struct GitUser {
    name: String,
}

impl GitUser {
    /// Adds `name` with `password`; `name` must be unique to the calling test.
    pub fn add(name: &str, password: &str) -> GitUser {
        let user = GitUser {
            name: name.to_owned(),
        };
        user.set_password(password);
        user
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Replaces the user's password: requests with the old one are refused from now on.
    pub fn set_password(&self, password: &str) {
        assert!(!password.contains(['\n', ':']) && !self.name.contains(['\n', ':']));
        rewrite(|lines| {
            lines.retain(|l| !self.owns(l));
            lines.push(format!("{}:{password}", self.name));
        });
    }

    /// Removes the user: every request with its credentials is refused from now on.
    pub fn revoke(&self) {
        rewrite(|lines| lines.retain(|l| !self.owns(l)));
    }

    fn owns(&self, line: &str) -> bool {
        line.split_once(':')
            .is_some_and(|(name, _)| name == self.name)
    }
}

impl Drop for GitUser {
    fn drop(&mut self) {
        self.revoke();
    }
}

fn users_file() -> PathBuf {
    PathBuf::from(var("FLUX_TEST_GIT_STATE_DIR")).join("users")
}

/// Edits the user file and puts the result in place with one rename, so the server
/// never reads a half-written file while other tests use it.
fn rewrite(edit: impl FnOnce(&mut Vec<String>)) {
    let _one = USERS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = users_file();
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    edit(&mut lines);
    let next = path.with_extension("next");
    std::fs::write(&next, lines.join("\n") + "\n")
        .unwrap_or_else(|e| panic!("write {}: {e}", next.display()));
    std::fs::rename(&next, &path).unwrap_or_else(|e| panic!("rename {}: {e}", path.display()));
}
