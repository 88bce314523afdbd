//! The git engine against real http, https and ssh servers on loopback.

// Helpers shared by the tests below abort loudly on a failed setup step.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

mod commits;
mod concurrency;
mod http;
mod hung;
mod logs;
mod signing;
mod ssh;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use flux_core::git::{
    scan_host_key, Auth, FileEdit, GitError, HostKeyPolicy, KnownHosts, RepoCache, Transaction,
};
use flux_core::Sensitive;
use support::GitServer;

fn tx(message: &str, files: &[(&str, &str)]) -> Transaction {
    let mut tx = Transaction {
        message: message.to_string(),
        ..Default::default()
    };
    for (path, content) in files {
        tx.writes
            .insert(path.to_string(), content.as_bytes().to_vec());
    }
    tx
}

fn new_cache() -> (tempfile::TempDir, RepoCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = RepoCache::new(dir.path()).unwrap();
    (dir, cache)
}
