//! Apply of the default install set (32 objects, `flux install --export` kept as
//! `tests/flux_cli/golden/install/default.yaml`) against the real kube-apiserver of the test environment, compared with
//! `kubectl apply --server-side` of the same file; and a no-change re-apply of each.
//!
//! Run: `cargo bench -p flux-core --bench apply` with the environment's exports in scope
//! (`eval "$(tests/acceptance/env/up)"`), or with `FLUX_TEST_ENV_DIR` / the repository's
//! `tests/acceptance/env/up` available. `BENCH_ROUNDS` sets the rounds (default 5).
//! Each fresh round starts from a cluster without the install (uninstalled, namespace gone);
//! each engine run uses a new `Cluster`, so connection and discovery are paid every time,
//! as kubectl pays them (its discovery cache is warmed once beforehand).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use flux_core::cluster::{Cluster, ConnectionSpec, ObjectRef, UninstallSpec};
use serde_json::Value;

type Error = Box<dyn std::error::Error>;

const NS: &str = "flux-system";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/flux_cli/golden/install/default.yaml")
}

fn objects() -> Result<Vec<Value>, Error> {
    let text = std::fs::read_to_string(fixture())?;
    let mut objects = Vec::new();
    for document in serde_norway::Deserializer::from_str(&text) {
        let value: Value = serde::Deserialize::deserialize(document)?;
        if !value.is_null() {
            objects.push(value);
        }
    }
    Ok(objects)
}

/// The kubeconfig of a running environment: from `KUBECONFIG`, else by running `up`.
fn kubeconfig() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os("KUBECONFIG") {
        return Ok(PathBuf::from(path));
    }
    let scripts = std::env::var_os("FLUX_TEST_ENV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/acceptance/env"));
    let state = std::env::var("FLUX_TEST_STATE")
        .unwrap_or_else(|_| format!("{}/../target/bench-env", env!("CARGO_MANIFEST_DIR")));
    let out = Command::new(scripts.join("up"))
        .args(["--state", &state])
        .output()?;
    if !out.status.success() {
        return Err(format!("up failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("export KUBECONFIG="))
        .map(|v| PathBuf::from(v.trim_matches('\'')))
        .ok_or_else(|| "up printed no KUBECONFIG".into())
}

fn cluster(kubeconfig: &Path) -> Result<Cluster, Error> {
    Ok(Cluster::new(ConnectionSpec {
        config_path: Some(kubeconfig.to_path_buf()),
        ..ConnectionSpec::default()
    })?)
}

/// Removes the install and waits until its namespace is gone.
async fn clean(kubeconfig: &Path) -> Result<(), Error> {
    let cluster = cluster(kubeconfig)?;
    cluster
        .uninstall(&UninstallSpec {
            namespace: NS.into(),
            root_name: NS.into(),
            keep_namespace: false,
            drain: None,
        })
        .await?;
    let namespace = ObjectRef::new("v1", "Namespace", None, NS);
    let deadline = Instant::now() + Duration::from_secs(120);
    while cluster.find_object(&namespace).await?.is_some() {
        if Instant::now() > deadline {
            return Err("namespace flux-system still terminating after 120 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

async fn engine_apply(kubeconfig: &Path, objects: &[Value]) -> Result<(Duration, usize), Error> {
    let started = Instant::now();
    let outcome = cluster(kubeconfig)?.apply(objects).await?;
    Ok((started.elapsed(), outcome.created.len()))
}

fn kubectl_apply(kubeconfig: &Path, cache: &Path) -> Result<Duration, Error> {
    let started = Instant::now();
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(cache)
        .args([
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager=flux",
            "-f",
        ])
        .arg(fixture())
        .output()?;
    let elapsed = started.elapsed();
    if !out.status.success() {
        return Err(format!(
            "kubectl apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(elapsed)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let kubeconfig = kubeconfig()?;
    let objects = objects()?;
    let cache = tempfile::tempdir()?;
    let mut out = std::io::stdout();

    // Warm-up: kubectl's discovery cache, the server's caches.
    clean(&kubeconfig).await?;
    kubectl_apply(&kubeconfig, cache.path())?;

    let (mut engine_fresh, mut kubectl_fresh, mut engine_again, mut kubectl_again) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        clean(&kubeconfig).await?;
        let (elapsed, created) = engine_apply(&kubeconfig, &objects).await?;
        if created != objects.len() {
            return Err(
                format!("fresh apply created {created} of {} objects", objects.len()).into(),
            );
        }
        engine_fresh.push(elapsed);
        engine_again.push(engine_apply(&kubeconfig, &objects).await?.0);
        clean(&kubeconfig).await?;
        kubectl_fresh.push(kubectl_apply(&kubeconfig, cache.path())?);
        kubectl_again.push(kubectl_apply(&kubeconfig, cache.path())?);
    }
    let (ef, kf, ea, ka) = (
        median(engine_fresh),
        median(kubectl_fresh),
        median(engine_again),
        median(kubectl_again),
    );
    writeln!(
        out,
        "apply of {} objects, median of {rounds} rounds",
        objects.len()
    )?;
    writeln!(
        out,
        "fresh:     flux-core {:8.1} ms   kubectl --server-side {:8.1} ms   ratio {:.2}x",
        ms(ef),
        ms(kf),
        ms(ef) / ms(kf)
    )?;
    writeln!(
        out,
        "no change: flux-core {:8.1} ms   kubectl --server-side {:8.1} ms   ratio {:.2}x",
        ms(ea),
        ms(ka),
        ms(ea) / ms(ka)
    )?;
    clean(&kubeconfig).await?;
    Ok(())
}
