//! One test binary for every acceptance test, one module per subject.
mod bootstrap_git;
mod bucket;
mod environment;
mod examples;
mod faults;
mod flux_objects;
mod hung;
mod oci;
mod operator;
mod operator_handover;
mod provider_config;
mod quickstart;
mod release;
