//! The acceptance-test harness: starts or reuses the test environment and drives the
//! real Terraform CLIs against the built provider.
pub mod chart_repo;
pub mod env;
pub mod fault_proxy;
pub mod fixture;
pub mod git;
pub mod git_users;
pub mod hcl;
pub mod kube;
pub mod plan;
pub mod poll;
pub mod registry;
pub mod s3;
pub mod terraform;
pub mod webhook;
