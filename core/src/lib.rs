//! Flux bootstrapping backend: install and sync manifests, git and cluster engines.
//!
//! This crate knows nothing of its callers' configuration language: it takes validated specs, does the work
//! against git and the cluster, and returns outcomes and observations.

pub mod cluster;
pub mod git;
pub mod manifests;
pub mod object_ref;
pub mod objects;
pub mod operator;
pub mod sensitive;
pub mod sync;

pub use sensitive::Sensitive;
