//! The acceptance-test harness: starts or reuses the test environment and drives the
//! real Terraform CLIs against the built provider.
pub mod bootstrap;
pub mod chart_repo;
pub mod env;
pub mod fault_proxy;
pub mod objects;
pub mod registry;
pub mod s3;
pub mod terraform;
pub mod webhook;
