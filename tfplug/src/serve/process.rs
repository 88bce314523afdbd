//! How the plugin process lives and dies next to Terraform.

use std::time::Duration;

/// Ctrl-C reaches the whole foreground process group. Terraform handles it and asks
/// the provider to stop through StopProvider, so the provider must not die from it.
pub(crate) fn ignore_interrupts() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) {
        Ok(mut signals) => {
            tokio::spawn(async move {
                while signals.recv().await.is_some() {
                    tracing::debug!("ignoring SIGINT: Terraform will send StopProvider");
                }
            });
        }
        Err(error) => tracing::warn!(
            error = &error as &dyn std::error::Error,
            "cannot handle SIGINT"
        ),
    }
}

/// Exits when the parent (Terraform) is gone: after a crash it never calls Shutdown,
/// and an orphaned provider would hold its caller's pipes open.
pub(crate) fn exit_with_parent() {
    let parent = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if std::os::unix::process::parent_id() != parent {
                tracing::info!("Terraform went away: exiting");
                std::process::exit(0);
            }
        }
    });
}
