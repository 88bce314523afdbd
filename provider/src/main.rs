//! The `terraform-provider-flux` binary.

fn main() {}
