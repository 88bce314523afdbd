//! A typed driver for the real Terraform CLIs, running the provider built from this
//! workspace through a CLI configuration with `dev_overrides` (no `init`), one work
//! directory per test.
#![expect(
    clippy::panic,
    reason = "test harness: a step that cannot run fails the calling test with its reason"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The provider address the tests use: the reference provider's, as a drop-in.
pub const PROVIDER_SOURCE: &str = "fluxcd/flux";

/// Which program a CLI is: both speak the same plugin protocol, but each resolves a
/// bare provider source such as `fluxcd/flux` against its own registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cli {
    /// HashiCorp Terraform.
    Terraform,
    /// OpenTofu.
    OpenTofu,
}

/// One Terraform CLI.
#[derive(Clone, Debug)]
pub struct Terraform {
    /// The executable.
    pub bin: PathBuf,
    /// Its version, as `1.15.5`, prefixed with `OpenTofu ` for OpenTofu so that
    /// failure messages name the CLI.
    pub version: String,
    /// Which program it is.
    pub cli: Cli,
}

impl Terraform {
    /// Terraform 1.15.5, Terraform 1.0.3 and OpenTofu 1.12.6: the CLIs the
    /// CLI-matrix acceptance tests run under. A missing CLI fails the test with the
    /// command that installs it.
    pub fn matrix() -> Vec<Terraform> {
        vec![Self::latest(), Self::legacy(), Self::tofu()]
    }

    /// Terraform 1.15.5 (`FLUX_TEST_TERRAFORM`).
    pub fn latest() -> Terraform {
        Self::find("FLUX_TEST_TERRAFORM", "terraform", "1.15.5")
    }

    /// Terraform 1.0.3 (`FLUX_TEST_TERRAFORM_2`): the oldest supported protocol-6 CLI.
    pub fn legacy() -> Terraform {
        Self::find("FLUX_TEST_TERRAFORM_2", "terraform-1.0.3", "1.0.3")
    }

    /// OpenTofu 1.12.6 (`FLUX_TEST_TOFU`), built from its Go module by the setup.
    pub fn tofu() -> Terraform {
        let bin = std::env::var_os("FLUX_TEST_TOFU")
            .map(PathBuf::from)
            .or_else(|| crate::env::go_bin("tofu"))
            .filter(|p| p.exists())
            .unwrap_or_else(|| {
                panic!(
                    "OpenTofu is not built: run tests/acceptance/env/setup \
                     (or tests/acceptance/env/build/go-servers.sh tofu), or set FLUX_TEST_TOFU"
                )
            });
        Terraform {
            bin,
            version: "OpenTofu 1.12.6".to_string(),
            cli: Cli::OpenTofu,
        }
    }

    fn find(var: &str, file: &str, version: &str) -> Terraform {
        let bin = std::env::var_os(var)
            .map(PathBuf::from)
            .or_else(|| installed_dir().map(|d| d.join(file)))
            .filter(|p| p.exists())
            .unwrap_or_else(|| {
                panic!(
                    "Terraform {version} is not installed: run tests/acceptance/env/setup \
                     (or tests/acceptance/env/build/terraform.sh), or set {var}"
                )
            });
        Terraform {
            bin,
            version: version.to_string(),
            cli: Cli::Terraform,
        }
    }

    /// The registry host a bare provider source resolves to under this CLI: the
    /// directory a filesystem mirror must use.
    pub fn registry_host(&self) -> &'static str {
        match self.cli {
            Cli::Terraform => "registry.terraform.io",
            Cli::OpenTofu => "registry.opentofu.org",
        }
    }

    /// Whether this is OpenTofu.
    pub fn is_tofu(&self) -> bool {
        self.cli == Cli::OpenTofu
    }

    /// Whether this is the 1.0 CLI, which crashes when a single nested attribute is
    /// omitted (fixed in 1.0.5): its configurations must set every one.
    pub fn is_legacy(&self) -> bool {
        self.version.starts_with("1.0.")
    }

    /// A fresh work directory holding `main.tf`.
    pub fn workdir(&self, test: &str, main_tf: &str) -> Workdir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = tempfile::Builder::new()
            .prefix(&format!("tf-{test}-{n}-"))
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a work directory: {e}"));
        let cli_config = dir.path().join("cli.tfrc");
        write_dev_overrides(&cli_config, &provider_dir());
        std::fs::write(dir.path().join("main.tf"), main_tf)
            .unwrap_or_else(|e| panic!("cannot write main.tf: {e}"));
        Workdir {
            dir,
            terraform: self.clone(),
            env: vec![(
                "TF_CLI_CONFIG_FILE".into(),
                cli_config.display().to_string(),
            )],
        }
    }
}

/// A CLI configuration at `path` that runs the provider binary in `provider_dir`.
fn write_dev_overrides(path: &Path, provider_dir: &Path) {
    std::fs::write(
        path,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            provider_dir.display()
        ),
    )
    .unwrap_or_else(|e| panic!("cannot write the CLI configuration: {e}"));
}

/// Where `terraform.sh` installed the CLIs, if it did.
fn installed_dir() -> Option<PathBuf> {
    let script = workspace_root().join("tests/acceptance/env/build/terraform.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg("--installed")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = String::from_utf8(out.stdout).ok()?;
    Some(PathBuf::from(dir.trim()))
}

/// The workspace root (two levels above this package).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The directory holding the provider binary under test: `FLUX_TEST_PROVIDER_DIR`,
/// or the workspace's debug build (the README's test command builds it first).
pub fn provider_dir() -> PathBuf {
    let dir = std::env::var_os("FLUX_TEST_PROVIDER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace_root().join("target"));
            target.join("debug")
        });
    assert!(
        dir.join("terraform-provider-flux").exists(),
        "the provider binary is missing in {}: run `cargo build -p terraform-provider-flux` first",
        dir.display()
    );
    dir
}

/// `text` with its middle left out when it is long: a failed bootstrap's output
/// holds a plan of thousands of lines, and a CI log that keeps only its end must
/// still show every failing test's own error (Terraform prints errors last).
pub fn excerpt(text: &str) -> String {
    const HEAD: usize = 20;
    const TAIL: usize = 150;
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= HEAD + TAIL {
        return text.to_string();
    }
    format!(
        "{}\n[... {} lines left out ...]\n{}",
        lines[..HEAD].join("\n"),
        lines.len() - HEAD - TAIL,
        lines[lines.len() - TAIL..].join("\n")
    )
}

/// A Terraform work directory.
pub struct Workdir {
    dir: tempfile::TempDir,
    terraform: Terraform,
    env: Vec<(String, String)>,
}

/// What a Terraform command printed.
#[derive(Debug)]
pub struct Output {
    /// Exit code (-1 when killed).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Both streams, for assertions on messages.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Both streams with every run of whitespace folded to one space, for asserting
    /// on messages that Terraform wraps at 78 columns.
    pub fn flat(&self) -> String {
        self.all().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Both streams, shortened for a failure message: see [`excerpt`].
    pub fn report(&self) -> String {
        excerpt(&self.all())
    }

    /// Panics with the output unless the command succeeded.
    pub fn success(self) -> Self {
        assert_eq!(self.code, 0, "terraform failed:\n{}", self.report());
        self
    }

    /// Panics with the output unless the command failed.
    pub fn failure(self) -> Self {
        assert_ne!(
            self.code,
            0,
            "terraform unexpectedly succeeded:\n{}",
            self.report()
        );
        self
    }
}

impl Workdir {
    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The CLI of this directory.
    pub fn terraform(&self) -> &Terraform {
        &self.terraform
    }

    /// Adds an environment variable for every command.
    pub fn env(&mut self, name: &str, value: &str) {
        self.env.push((name.to_string(), value.to_string()));
    }

    /// Installs the provider from the filesystem mirror at `mirror` instead of the
    /// build under test, as a released provider installs (no dev_overrides).
    pub fn install_from_mirror(&mut self, mirror: &Path) {
        let config = self.path().join("mirror.tfrc");
        let address = format!("{}/{PROVIDER_SOURCE}", self.terraform.registry_host());
        std::fs::write(
            &config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{address}\"]\n  }}\n  direct {{\n    exclude = [\"{address}\"]\n  }}\n}}\n",
                mirror.display()
            ),
        )
        .unwrap_or_else(|e| panic!("cannot write the CLI configuration: {e}"));
        self.env("TF_CLI_CONFIG_FILE", &config.display().to_string());
    }

    /// Runs the provider binary in `dir` from now on instead of the build under test
    /// (another build of the same provider address: the reference provider, for a
    /// migration). `main.tf` and the state stay as they are.
    pub fn use_provider_dir(&self, dir: &Path) {
        assert!(
            dir.join("terraform-provider-flux").exists(),
            "no terraform-provider-flux in {}",
            dir.display()
        );
        write_dev_overrides(&self.path().join("cli.tfrc"), dir);
    }

    /// Runs the build under test again (see [`Workdir::use_provider_dir`]).
    pub fn use_provider_under_test(&self) {
        self.use_provider_dir(&provider_dir());
    }

    /// Replaces `main.tf`.
    pub fn write_main(&self, main_tf: &str) {
        std::fs::write(self.path().join("main.tf"), main_tf)
            .unwrap_or_else(|e| panic!("cannot write main.tf: {e}"));
    }

    /// Runs `terraform ARGS -input=false -no-color` (flags before positional
    /// arguments, as Terraform 1.15 requires) in its own process group, killed after
    /// `timeout`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_timeout(args, Duration::from_secs(300))
    }

    /// As [`Workdir::run`], with an explicit timeout.
    pub fn run_with_timeout(&self, args: &[&str], timeout: Duration) -> Output {
        self.run_with(args, timeout, &[])
    }

    /// As [`Workdir::run`], with more environment variables for this command only.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.run_with(args, Duration::from_secs(300), env)
    }

    fn run_with(&self, args: &[&str], timeout: Duration, env: &[(&str, &str)]) -> Output {
        self.spawn_with(args, env).wait(timeout)
    }

    /// Starts a command without waiting for it (to interrupt it, as Ctrl-C would).
    pub fn spawn(&self, args: &[&str]) -> Running {
        self.spawn_with(args, &[])
    }

    fn spawn_with(&self, args: &[&str], env: &[(&str, &str)]) -> Running {
        use std::os::unix::process::CommandExt as _;
        let (command, rest) = args.split_first().unwrap_or((&"version", &[]));
        let mut cmd = Command::new(&self.terraform.bin);
        cmd.arg(command);
        if *command != "version" && *command != "output" && *command != "state" {
            cmd.arg("-no-color");
            if matches!(
                *command,
                "plan" | "apply" | "destroy" | "import" | "refresh"
            ) {
                cmd.arg("-input=false");
            }
        }
        cmd.args(rest)
            .current_dir(self.path())
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.terraform.bin.display()));
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        Running {
            pgid: child.id(),
            child,
            stdout: std::thread::spawn(move || read_all(stdout)),
            stderr: std::thread::spawn(move || read_all(stderr)),
        }
    }

    /// `terraform validate`.
    pub fn validate(&self) -> Output {
        self.run(&["validate"])
    }

    /// `terraform plan`.
    pub fn plan(&self) -> Output {
        self.run(&["plan"])
    }

    /// `terraform plan -detailed-exitcode`: code 0 means no changes.
    pub fn plan_detailed(&self) -> Output {
        self.run(&["plan", "-detailed-exitcode"])
    }

    /// `terraform apply -auto-approve`.
    pub fn apply(&self) -> Output {
        self.run(&["apply", "-auto-approve"])
    }

    /// `terraform destroy -auto-approve`.
    pub fn destroy(&self) -> Output {
        self.run(&["destroy", "-auto-approve"])
    }
}

/// A Terraform command started by [`Workdir::spawn`].
pub struct Running {
    child: std::process::Child,
    pgid: u32,
    stdout: std::thread::JoinHandle<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Running {
    /// Sends SIGINT to the command's process group, as Ctrl-C in a terminal does.
    pub fn interrupt(&self) {
        let _ = Command::new("kill")
            .args(["-INT", "--", &format!("-{}", self.pgid)])
            .stderr(Stdio::null())
            .status();
    }

    /// Whether the command has not ended yet.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the command to end; kills it after `timeout` (code -1).
    pub fn wait(mut self, timeout: Duration) -> Output {
        let started = Instant::now();
        let code = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status.code().unwrap_or(-1),
                Ok(None) if started.elapsed() > timeout => {
                    kill_group(self.pgid);
                    let _ = self.child.wait();
                    break -1;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => panic!("waiting for terraform failed: {e}"),
            }
        };
        // Providers left behind by a crashed CLI would hold the pipes open.
        kill_group(self.pgid);
        Output {
            code,
            stdout: self.stdout.join().unwrap_or_default(),
            stderr: self.stderr.join().unwrap_or_default(),
        }
    }
}

fn read_all(stream: Option<impl std::io::Read>) -> String {
    let mut text = String::new();
    if let Some(mut s) = stream {
        let _ = s.read_to_string(&mut text);
    }
    text
}

fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}
