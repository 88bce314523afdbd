//! The Terraform plugin protocol 6 over tonic and prost.
