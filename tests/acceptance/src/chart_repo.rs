//! A Helm chart repository for the tests: a chart of plain ConfigMaps (so it
//! installs without pods) packaged with `tar`, an `index.yaml` pointing at it, and
//! `python3 -m http.server` serving both on loopback until the value is dropped.
#![expect(
    clippy::panic,
    reason = "test harness: a step that cannot run fails the calling test with its reason"
)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running chart repository.
pub struct ChartRepo {
    /// The repository URL (`http://127.0.0.1:PORT`), for a HelmRepository.
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// Packages chart `name` at `version` under `dir` (`helm package`'s layout): one
/// ConfigMap `<release>-<name>` in the release namespace whose `value` is the chart
/// value `value`. Returns the `.tgz`.
pub fn package_chart(dir: &Path, name: &str, version: &str) -> PathBuf {
    let chart = dir.join("src").join(name);
    std::fs::create_dir_all(chart.join("templates")).unwrap_or_else(|e| panic!("{e}"));
    let write =
        |path: PathBuf, text: String| std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    write(
        chart.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: {version}\ntype: application\n"),
    );
    write(chart.join("values.yaml"), "value: default\n".to_string());
    write(
        chart.join("templates/configmap.yaml"),
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ .Release.Name }}}}-{name}\n  namespace: {{{{ .Release.Namespace }}}}\ndata:\n  value: {{{{ .Values.value | quote }}}}\n"
        ),
    );
    let archive = dir.join(format!("{name}-{version}.tgz"));
    run(Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir.join("src"))
        .arg(name));
    archive
}

impl ChartRepo {
    /// Serves chart `name` at `version`: one ConfigMap `<release>-<name>` in the
    /// release namespace whose `value` is the chart value `value`.
    pub fn start(name: &str, version: &str) -> ChartRepo {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let served = dir.path().join("www");
        std::fs::create_dir_all(&served).unwrap_or_else(|e| panic!("{e}"));
        let archive = format!("{name}-{version}.tgz");
        std::fs::rename(
            package_chart(dir.path(), name, version),
            served.join(&archive),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let write = |path: std::path::PathBuf, text: String| {
            std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"))
        };
        let digest = run(Command::new("sha256sum").arg(served.join(&archive)));
        let digest = digest.split_whitespace().next().unwrap_or_default();
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        write(
            served.join("index.yaml"),
            format!(
                "apiVersion: v1\nentries:\n  {name}:\n  - apiVersion: v2\n    name: {name}\n    version: {version}\n    type: application\n    created: \"2026-01-01T00:00:00Z\"\n    digest: {digest}\n    urls:\n    - {url}/{archive}\ngenerated: \"2026-01-01T00:00:00Z\"\n"
            ),
        );
        let child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1"])
            .arg(port.to_string())
            .arg("--directory")
            .arg(&served)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3 -m http.server: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the chart server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        ChartRepo {
            url,
            child,
            _dir: dir,
        }
    }
}

impl Drop for ChartRepo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
