//! Compiles the plugin protocol definitions with a protoc that ships as a crate, so a
//! fresh machine needs no system protobuf compiler.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // prost-build finds the compiler through PROTOC.
    std::env::set_var("PROTOC", protoc);
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_protos(
            &["proto/tfplugin6.proto", "proto/grpc_controller.proto"],
            &["proto"],
        )?;
    Ok(())
}
