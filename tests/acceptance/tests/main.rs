//! One test binary for every acceptance test, one module per subject.
mod environment;
mod provider_config;
