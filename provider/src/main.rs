//! The `terraform-provider-flux` binary: serves the Flux provider to Terraform.

use std::process::ExitCode;

use terraform_provider_flux::FluxProvider;

fn main() -> ExitCode {
    tfplug::run(
        FluxProvider::new(),
        tfplug::ServeOptions {
            address: terraform_provider_flux::REGISTRY_ADDRESS.to_string(),
            log_targets: vec!["terraform_provider_flux", "flux_core"],
        },
    )
}
