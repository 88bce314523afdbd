#!/usr/bin/env python3
"""Runs the acceptance-test environment: git servers, etcd, kube-apiservers,
kube-controller-managers and the Flux controllers, as local processes.

Called through the thin wrappers next to it (up, down, status, new-repo,
add-cluster). Only the Python standard library, openssl and the binaries built
by build/go-servers.sh and build/terraform.sh are used.

State layout (one directory per environment, so several can run at once):
  env.json              ports, paths and the clusters of this environment
  exports.sh            the `export NAME=value` lines printed by `up`
  pids/<proc>.pid       "<pid> <starttime>" of every process started
  logs/<proc>.log       output of every process
  pki/                  the CA, the etcd-free certificates
  etcd/                 etcd's data
  clusters/<name>/      kubeconfigs, certificates and Flux storage per cluster
  git/                  the git servers' state (tests/acceptance/env/git/)
"""

import argparse
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

ENV_DIR = os.path.dirname(os.path.abspath(__file__))
# The built-in Flux release (core/flux-manifests), which the Flux Operator
# installs here as it installs the release its image ships.
FLUX_MANIFESTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(ENV_DIR))),
                              "core", "flux-manifests")
CACHE = os.environ.get("FLUX_TEST_CACHE") or os.path.join(
    os.path.expanduser("~"), ".cache", "flux-provider-test"
)
GO_BIN = os.path.join(CACHE, "go", "bin")
DEFAULT_STATE = os.environ.get("FLUX_TEST_STATE") or os.path.join(
    os.environ.get("TMPDIR", "/tmp"), "flux-test-env"
)
DEFAULT_CLUSTER = "default"

# Controllers in start order; each waits for the source CRDs and its own.
FLUX_CONTROLLERS = [
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
]

# The Flux Operator: started once its own CRDs are Established (a user installs
# them with the operator); it then installs Flux, whose controllers start as above.
FLUX_OPERATOR = "flux-operator"
SUPERVISED = FLUX_CONTROLLERS + [FLUX_OPERATOR]

# Controllers of kube-controller-manager. No deployment controller: nothing
# runs Pods here, so the environment writes Deployment status itself.
KCM_CONTROLLERS = "namespace,garbagecollector,replicaset,serviceaccount"


class EnvError(Exception):
    pass


def log(msg):
    sys.stderr.write(f"env: {msg}\n")
    sys.stderr.flush()


# ---------------------------------------------------------------- helpers


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2)
    os.replace(tmp, path)


def proc_starttime(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    # Field 22; the command name (field 2) may hold spaces, so split after ")".
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return fields[19]


def record_pid(state, name, pid):
    os.makedirs(os.path.join(state, "pids"), exist_ok=True)
    start = proc_starttime(pid) or "0"
    with open(os.path.join(state, "pids", f"{name}.pid"), "w") as f:
        f.write(f"{pid} {start}\n")


def recorded_pid(state, name):
    """The pid of a recorded process if that very process still runs."""
    path = os.path.join(state, "pids", f"{name}.pid")
    try:
        with open(path) as f:
            pid_s, start = f.read().split()
    except (OSError, ValueError):
        return None
    pid = int(pid_s)
    if proc_starttime(pid) != start:
        return None
    return pid


def spawn(state, name, argv, env=None):
    os.makedirs(os.path.join(state, "logs"), exist_ok=True)
    logf = open(os.path.join(state, "logs", f"{name}.log"), "ab")
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=logf,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env if env is not None else os.environ.copy(),
        cwd=state,
    )
    logf.close()
    record_pid(state, name, proc.pid)
    return proc


def stop_pid(pid, grace=10.0):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc_starttime(pid) is None:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def binary(name):
    path = os.path.join(GO_BIN, name)
    if not os.access(path, os.X_OK):
        raise EnvError(
            f"{path} is missing: run tests/acceptance/env/setup (or build/go-servers.sh)"
        )
    return path


def wait_until(what, check, timeout, proc_names=(), state=None):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            pass
        for name in proc_names:
            if recorded_pid(state, name) is None:
                raise EnvError(
                    f"{name} exited while waiting for {what}; see {state}/logs/{name}.log"
                )
        if time.monotonic() > deadline:
            raise EnvError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def http_ok(url, context=None, expect=None):
    with urllib.request.urlopen(url, timeout=2, context=context) as r:
        body = r.read().decode()
        return r.status == 200 and (expect is None or expect in body)


# ---------------------------------------------------------------- PKI


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(pki):
    os.makedirs(pki, exist_ok=True)
    ca_key, ca_crt = os.path.join(pki, "ca.key"), os.path.join(pki, "ca.crt")
    if not os.path.exists(ca_crt):
        openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", ca_key, "-out", ca_crt, "-days", "3650",
            "-subj", "/CN=flux-test-kube-ca",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )
    return ca_crt, ca_key


def make_cert(pki, ca, name, subj, ext):
    key, crt = os.path.join(pki, f"{name}.key"), os.path.join(pki, f"{name}.crt")
    csr, extf = os.path.join(pki, f"{name}.csr"), os.path.join(pki, f"{name}.ext")
    with open(extf, "w") as f:
        f.write(ext)
    openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", key, "-out", csr, "-subj", subj,
    )
    openssl(
        "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
        "-out", crt, "-days", "3650", "-extfile", extf,
    )
    os.remove(csr)
    os.remove(extf)
    return crt, key


def kubeconfig_text(server, ca_file, user):
    user_lines = "\n".join(f"    {k}: {v}" for k, v in user.items())
    return (
        "apiVersion: v1\nkind: Config\n"
        "clusters:\n- name: flux-test\n  cluster:\n"
        f"    server: {server}\n    certificate-authority: {ca_file}\n"
        "users:\n- name: admin\n  user:\n"
        f"{user_lines}\n"
        "contexts:\n- name: flux-test\n  context:\n    cluster: flux-test\n    user: admin\n"
        "current-context: flux-test\n"
    )


# ---------------------------------------------------------------- kube API


class Kube:
    def __init__(self, cluster):
        self.base = cluster["host"]
        self.ctx = ssl.create_default_context(cafile=cluster["ca_file"])
        self.ctx.load_cert_chain(cluster["admin_cert"], cluster["admin_key"])

    def request(self, method, path, body=None, content_type="application/json"):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=10, context=self.ctx) as r:
                raw = r.read()
                if "json" in (r.headers.get("Content-Type") or ""):
                    return r.status, json.loads(raw or b"null")
                return r.status, raw.decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, None

    def crd_established(self, name):
        code, crd = self.request(
            "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
        )
        if code != 200:
            return False
        for c in (crd.get("status") or {}).get("conditions") or []:
            if c.get("type") == "Established" and c.get("status") == "True":
                return True
        return False


# ---------------------------------------------------------------- parts


def start_etcd(state, env):
    port, peer = free_port(), free_port()
    data = os.path.join(state, "etcd")
    spawn(state, "etcd", [
        binary("etcd"), "--name", "default", "--data-dir", data,
        "--listen-client-urls", f"http://127.0.0.1:{port}",
        "--advertise-client-urls", f"http://127.0.0.1:{port}",
        "--listen-peer-urls", f"http://127.0.0.1:{peer}",
        "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
        "--initial-cluster", f"default=http://127.0.0.1:{peer}",
        "--unsafe-no-fsync", "--log-level", "warn",
    ])
    env["etcd"] = {"url": f"http://127.0.0.1:{port}"}


def wait_etcd(state, env):
    wait_until(
        "etcd /health",
        lambda: http_ok(env["etcd"]["url"] + "/health", expect='"health":"true"'),
        30, ["etcd"], state,
    )


def create_cluster(state, env, name):
    """Writes the certificates and kubeconfigs of a cluster and starts its
    kube-apiserver; returns without waiting."""
    cdir = os.path.join(state, "clusters", name)
    os.makedirs(cdir, exist_ok=True)
    ca = make_ca(os.path.join(state, "pki"))
    port = free_port()
    server_crt, server_key = make_cert(
        cdir, ca, "apiserver", "/CN=kube-apiserver",
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n"
        "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n",
    )
    admin_crt, admin_key = make_cert(
        cdir, ca, "admin", "/O=system:masters/CN=flux-test-admin",
        "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n",
    )
    sa_key = os.path.join(cdir, "sa.key")
    openssl("genrsa", "-out", sa_key, "2048")
    token = secrets.token_hex(24)
    tokens = os.path.join(cdir, "tokens.csv")
    with open(tokens, "w") as f:
        f.write(f'{token},flux-test-token-admin,flux-test-token-admin,"system:masters"\n')
    os.chmod(tokens, 0o600)
    host = f"https://127.0.0.1:{port}"
    kubeconfig = os.path.join(cdir, "kubeconfig")
    with open(kubeconfig, "w") as f:
        f.write(kubeconfig_text(host, ca[0], {
            "client-certificate": admin_crt, "client-key": admin_key,
        }))
    kubeconfig_token = os.path.join(cdir, "kubeconfig-token")
    with open(kubeconfig_token, "w") as f:
        f.write(kubeconfig_text(host, ca[0], {"token": token}))
    for path in (kubeconfig, kubeconfig_token, admin_key, sa_key):
        os.chmod(path, 0o600)
    cluster = {
        "name": name,
        "dir": cdir,
        "host": host,
        "ca_file": ca[0],
        "token": token,
        "kubeconfig": kubeconfig,
        "kubeconfig_token": kubeconfig_token,
        "admin_cert": admin_crt,
        "admin_key": admin_key,
        "sa_key": sa_key,
        "server_cert": server_crt,
        "server_key": server_key,
        "tokens": tokens,
        "port": port,
        "generation": 0,
        "kcm_port": free_port(),
        "flux": {
            "storage_path": os.path.join(cdir, "flux", "storage"),
            "storage_port": free_port(),
            "events_port": free_port(),
            "receiver_port": free_port(),
            "health_ports": {c: free_port() for c in FLUX_CONTROLLERS},
        },
    }
    env.setdefault("clusters", {})[name] = cluster
    start_apiserver(state, env, cluster)
    return cluster


def etcd_prefix(cluster):
    """Where the cluster keeps its objects in the shared etcd; each generation of a
    recreated cluster starts on a prefix of its own, so it starts empty."""
    name = cluster["name"]
    prefix = "/registry" if name == DEFAULT_CLUSTER else f"/clusters/{name}/registry"
    generation = cluster.get("generation", 0)
    return f"{prefix}-{generation}" if generation else prefix


def start_apiserver(state, env, cluster):
    cdir = cluster["dir"]
    spawn(state, f"kube-apiserver-{cluster['name']}", [
        binary("kube-apiserver"),
        "--etcd-servers", env["etcd"]["url"], "--etcd-prefix", etcd_prefix(cluster),
        "--bind-address", "127.0.0.1", "--secure-port", str(cluster["port"]),
        "--advertise-address", "127.0.0.1", "--endpoint-reconciler-type", "none",
        "--cert-dir", cdir,
        "--tls-cert-file", cluster["server_cert"], "--tls-private-key-file", cluster["server_key"],
        "--client-ca-file", cluster["ca_file"], "--token-auth-file", cluster["tokens"],
        "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file", cluster["sa_key"],
        "--service-account-signing-key-file", cluster["sa_key"],
        "--service-cluster-ip-range", "10.0.0.0/24",
        "--authorization-mode", "RBAC", "--allow-privileged=true",
        "--profiling=false", "--v=1",
    ])


def start_cluster_controllers(state, cluster):
    name = cluster["name"]
    wait_until(
        f"kube-apiserver {name} /readyz",
        lambda: Kube(cluster).request("GET", "/readyz")[0] == 200,
        90, [f"kube-apiserver-{name}"], state,
    )
    spawn(state, f"kube-controller-manager-{name}", [
        binary("kube-controller-manager"),
        "--kubeconfig", cluster["kubeconfig"],
        "--authentication-kubeconfig", cluster["kubeconfig"],
        "--authorization-kubeconfig", cluster["kubeconfig"],
        "--leader-elect=false", "--controllers", KCM_CONTROLLERS,
        "--bind-address", "127.0.0.1", "--secure-port", str(cluster["kcm_port"]),
        "--cert-dir", os.path.join(cluster["dir"], "kcm-certs"),
        "--root-ca-file", cluster["ca_file"], "--v=1",
    ])
    spawn(state, f"supervisor-{name}", [
        sys.executable, os.path.abspath(__file__), "supervise",
        "--state", state, "--cluster", name,
    ])


def wait_cluster_controllers(state, cluster):
    name = cluster["name"]
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    wait_until(
        f"kube-controller-manager {name} /healthz",
        lambda: http_ok(f"https://127.0.0.1:{cluster['kcm_port']}/healthz", insecure),
        60, [f"kube-controller-manager-{name}"], state,
    )


def cluster_exports(cluster, prefix):
    return {
        f"{prefix}KUBECONFIG" if prefix else "KUBECONFIG": cluster["kubeconfig"],
        f"{prefix or 'FLUX_TEST_'}KUBECONFIG_TOKEN": cluster["kubeconfig_token"],
        f"{prefix or 'FLUX_TEST_'}KUBE_HOST": cluster["host"],
        f"{prefix or 'FLUX_TEST_'}KUBE_TOKEN": cluster["token"],
        f"{prefix or 'FLUX_TEST_'}KUBE_CA_FILE": cluster["ca_file"],
        # Where notification-controller serves the Receivers' webhooks (their
        # status.webhookPath goes after it); the port is picked at start.
        f"{prefix or 'FLUX_TEST_'}RECEIVER_URL": f"http://127.0.0.1:{cluster['flux']['receiver_port']}",
    }


def cluster_prefix(name):
    return "FLUX_TEST_CLUSTER_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_"


def git_scripts_dir(state=None):
    # FLUX_TEST_GIT_SCRIPTS points at another copy of env/git (e.g. a branch
    # under review); the default is the one next to this file. Later commands
    # use the copy that `up` used.
    if state and os.path.exists(env_path(state)):
        git = read_json(env_path(state)).get("git") or {}
        if git.get("scripts"):
            return git["scripts"]
    return os.environ.get("FLUX_TEST_GIT_SCRIPTS") or os.path.join(ENV_DIR, "git")


def git_script(name, state=None):
    path = os.path.join(git_scripts_dir(state), name)
    return path if os.access(path, os.X_OK) else None


def start_git(state, env):
    script = git_script("up")
    if script is None:
        log("git part skipped: tests/acceptance/env/git/up is not in this tree")
        env["git"] = None
        return {}
    gdir = os.path.join(state, "git")
    os.makedirs(gdir, exist_ok=True)
    out = subprocess.run([script, gdir], check=True, capture_output=True, text=True)
    exports = parse_exports(out.stdout)
    env["git"] = {"dir": gdir, "scripts": git_scripts_dir()}
    return exports


# ---------------------------------------------------------------- OCI registry


def start_registry(state, env):
    """The CNCF registry over HTTPS (a certificate from the environment's CA) with
    basic auth, storage on disk: what OCI sources, Helm OCI repositories and the
    image controllers talk to."""
    if not os.access(os.path.join(GO_BIN, "registry"), os.X_OK):
        log("OCI registry skipped: not built (run tests/acceptance/env/setup)")
        env["registry"] = None
        return {}
    rdir = os.path.join(state, "registry")
    os.makedirs(rdir, exist_ok=True)
    pki = os.path.join(state, "pki")
    ca = make_ca(pki)
    crt, key = make_cert(
        pki, ca, "registry", "/CN=127.0.0.1",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    username, password = "flux-oci", secrets.token_hex(12)
    htpasswd = os.path.join(rdir, "htpasswd")
    out = subprocess.run(
        ["htpasswd", "-Bbn", username, password], check=True, capture_output=True, text=True,
    )
    with open(htpasswd, "w") as f:
        f.write(out.stdout)
    port = free_port()
    config = os.path.join(rdir, "config.yml")
    with open(config, "w") as f:
        f.write(
            "version: 0.1\n"
            "log:\n  level: warn\n"
            f"storage:\n  filesystem:\n    rootdirectory: {os.path.join(rdir, 'data')}\n"
            "  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{port}\n  secret: {secrets.token_hex(16)}\n"
            f"  tls:\n    certificate: {crt}\n    key: {key}\n"
            f"auth:\n  htpasswd:\n    realm: flux-test\n    path: {htpasswd}\n"
        )
    spawn(state, "registry", [binary("registry"), "serve", config])
    env["registry"] = {"host": f"127.0.0.1:{port}", "ca_file": ca[0]}
    return {
        "FLUX_TEST_OCI_REGISTRY": f"127.0.0.1:{port}",
        "FLUX_TEST_OCI_USERNAME": username,
        "FLUX_TEST_OCI_PASSWORD": password,
        "FLUX_TEST_OCI_CA_FILE": ca[0],
    }


def registry_answers(host, ca_file):
    """/v2/ answers 401 (auth required) once the registry serves."""
    context = ssl.create_default_context(cafile=ca_file)
    try:
        urllib.request.urlopen(f"https://{host}/v2/", timeout=2, context=context)
    except urllib.error.HTTPError as e:
        return e.code == 401
    return False


def wait_registry(state, env):
    reg = env.get("registry")
    if reg:
        wait_until(
            "the OCI registry /v2/", lambda: registry_answers(reg["host"], reg["ca_file"]),
            30, ["registry"], state,
        )


# ---------------------------------------------------------------- S3 server


def start_s3(state, env):
    """An S3-compatible server (versitygw) storing buckets as directories and
    object metadata (ETags) in extended attributes; tests write through its S3 API
    (curl --aws-sigv4)."""
    if not os.access(os.path.join(GO_BIN, "versitygw"), os.X_OK):
        log("S3 server skipped: not built (run tests/acceptance/env/setup)")
        env["s3"] = None
        return {}
    root = os.path.join(state, "s3")
    os.makedirs(root, exist_ok=True)
    access, secret = "flux-" + secrets.token_hex(6), secrets.token_hex(16)
    port = free_port()
    env_vars = os.environ.copy()
    env_vars.update({"ROOT_ACCESS_KEY": access, "ROOT_SECRET_KEY": secret})
    spawn(state, "s3", [
        binary("versitygw"), "--port", f"127.0.0.1:{port}", "--quiet",
        "posix", root,
    ], env_vars)
    env["s3"] = {"endpoint": f"127.0.0.1:{port}"}
    return {
        "FLUX_TEST_S3_ENDPOINT": f"127.0.0.1:{port}",
        "FLUX_TEST_S3_ACCESS_KEY": access,
        "FLUX_TEST_S3_SECRET_KEY": secret,
    }


def s3_answers(endpoint):
    """Any HTTP answer (403 without credentials) means the server serves."""
    try:
        urllib.request.urlopen(f"http://{endpoint}/", timeout=2)
    except urllib.error.HTTPError:
        return True
    return True


def wait_s3(state, env):
    s3 = env.get("s3")
    if s3:
        wait_until("the S3 server", lambda: s3_answers(s3["endpoint"]), 30, ["s3"], state)


def parse_exports(text):
    values = {}
    for line in text.splitlines():
        m = re.match(r"^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line.strip())
        if m:
            value = m.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[m.group(1)] = value
    return values


def shell_quote(value):
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]*", value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def terraform_exports():
    exports = {}
    out = subprocess.run(
        [os.path.join(ENV_DIR, "build", "terraform.sh"), "--installed"],
        capture_output=True, text=True,
    )
    tf_dir = out.stdout.strip()
    if out.returncode == 0 and tf_dir:
        exports["FLUX_TEST_TERRAFORM"] = os.path.join(tf_dir, "terraform")
        exports["FLUX_TEST_TERRAFORM_2"] = os.path.join(tf_dir, "terraform-1.0.3")
    else:
        log("Terraform CLIs not installed: run tests/acceptance/env/build/terraform.sh")
    if os.access(os.path.join(GO_BIN, "tofu"), os.X_OK):
        exports["FLUX_TEST_TOFU"] = os.path.join(GO_BIN, "tofu")
    ref = os.path.join(GO_BIN, "reference-provider")
    if os.access(os.path.join(ref, "terraform-provider-flux"), os.X_OK):
        exports["FLUX_TEST_REFERENCE_PROVIDER_DIR"] = ref
    return exports


# ---------------------------------------------------------------- commands


class Lock:
    def __init__(self, state):
        os.makedirs(state, exist_ok=True)
        self.f = open(os.path.join(state, ".lock"), "w")

    def __enter__(self):
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def env_path(state):
    return os.path.join(state, "env.json")


def env_alive(state):
    if not os.path.exists(env_path(state)):
        return False
    env = read_json(env_path(state))
    names = ["etcd"] + [
        f"{p}-{c}" for c in env.get("clusters", {})
        for p in ("kube-apiserver", "kube-controller-manager", "supervisor")
    ]
    return all(recorded_pid(state, n) is not None for n in names)


def cmd_up(args):
    state = os.path.abspath(args.state)
    with Lock(state):
        if env_alive(state):
            log(f"reusing the running environment in {state}")
            sys.stdout.write(open(os.path.join(state, "exports.sh")).read())
            return 0
        if os.path.exists(env_path(state)):
            log(f"stopping the leftovers of a dead environment in {state}")
            stop_all(state)
        for sub in ("etcd", "clusters", "pki", "logs", "pids", "git", "registry", "s3"):
            shutil.rmtree(os.path.join(state, sub), ignore_errors=True)
        t0 = time.monotonic()
        env = {"state": state, "clusters": {}}
        try:
            start_etcd(state, env)
            exports = start_git(state, env)
            exports.update(start_registry(state, env))
            exports.update(start_s3(state, env))
            wait_etcd(state, env)
            cluster = create_cluster(state, env, DEFAULT_CLUSTER)
            write_json(env_path(state), env)
            start_cluster_controllers(state, cluster)
            wait_cluster_controllers(state, cluster)
            wait_registry(state, env)
            wait_s3(state, env)
        except Exception:
            write_json(env_path(state), env)
            stop_all(state)
            raise
        all_exports = {"FLUX_TEST_ENV_STATE": state}
        all_exports.update(cluster_exports(cluster, ""))
        all_exports.update(exports)
        all_exports.update(terraform_exports())
        env["exports"] = all_exports
        write_json(env_path(state), env)
        text = "".join(f"export {k}={shell_quote(v)}\n" for k, v in all_exports.items())
        with open(os.path.join(state, "exports.sh"), "w") as f:
            f.write(text)
        os.chmod(os.path.join(state, "exports.sh"), 0o600)
        log(f"environment ready in {time.monotonic() - t0:.1f}s (state {state})")
        sys.stdout.write(text)
    return 0


def cmd_add_cluster(args):
    state = os.path.abspath(args.state)
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?", args.name):
        raise EnvError(f"cluster name {args.name!r} must be a short DNS label")
    with Lock(state):
        if not env_alive(state):
            raise EnvError(f"no running environment in {state}: run up first")
        env = read_json(env_path(state))
        if args.name in env["clusters"]:
            cluster = env["clusters"][args.name]
        else:
            cluster = create_cluster(state, env, args.name)
            write_json(env_path(state), env)
            start_cluster_controllers(state, cluster)
            wait_cluster_controllers(state, cluster)
        text = "".join(
            f"export {k}={shell_quote(v)}\n"
            for k, v in cluster_exports(cluster, cluster_prefix(args.name)).items()
        )
        sys.stdout.write(text)
    return 0


def cmd_recreate_cluster(args):
    """Replaces a cluster by an empty one at the same address, as when a cluster is
    deleted and created again under the same name and endpoint: its processes stop,
    its Flux storage is removed, and its kube-apiserver starts again on a fresh etcd
    prefix. Its kubeconfigs and credentials stay valid."""
    state = os.path.abspath(args.state)
    with Lock(state):
        if not env_alive(state):
            raise EnvError(f"no running environment in {state}: run up first")
        env = read_json(env_path(state))
        cluster = env["clusters"].get(args.name)
        if cluster is None or "port" not in cluster:
            raise EnvError(f"no cluster {args.name!r} that can be recreated in {state}")
        # The supervisor first: it stops the Flux controllers it started.
        for role in ("supervisor", "kube-controller-manager", "kube-apiserver"):
            pid = recorded_pid(state, f"{role}-{args.name}")
            if pid is not None:
                stop_pid(pid)
        shutil.rmtree(os.path.join(cluster["dir"], "flux"), ignore_errors=True)
        cluster["generation"] = cluster.get("generation", 0) + 1
        write_json(env_path(state), env)
        start_apiserver(state, env, cluster)
        start_cluster_controllers(state, cluster)
        wait_cluster_controllers(state, cluster)
        log(f"cluster {args.name} recreated empty (etcd prefix {etcd_prefix(cluster)})")
    return 0


def stop_all(state):
    pids_dir = os.path.join(state, "pids")
    names = sorted(os.listdir(pids_dir)) if os.path.isdir(pids_dir) else []
    names = [n[:-4] for n in names if n.endswith(".pid")]

    def rank(n):
        # Supervisors first (they would restart controllers), etcd last.
        for i, p in enumerate(("supervisor-", "flux-", "kube-controller-manager-", "kube-apiserver-")):
            if n.startswith(p):
                return i
        return 9

    for n in sorted(names, key=rank):
        pid = recorded_pid(state, n)
        if pid is not None:
            stop_pid(pid)
        os.remove(os.path.join(pids_dir, f"{n}.pid"))
    script = git_script("down", state)
    if script and os.path.isdir(os.path.join(state, "git")):
        subprocess.run([script, os.path.join(state, "git")], check=False)


def cmd_down(args):
    state = os.path.abspath(args.state)
    if not os.path.isdir(state):
        log(f"nothing to stop: {state} does not exist")
        return 0
    with Lock(state):
        stop_all(state)
        if os.path.exists(env_path(state)):
            os.remove(env_path(state))
    log(f"stopped the environment in {state}")
    return 0


def cmd_status(args):
    state = os.path.abspath(args.state)
    if not os.path.exists(env_path(state)):
        print(f"no environment in {state}")
        return 1
    env = read_json(env_path(state))
    ok = True
    total = 0
    pids_dir = os.path.join(state, "pids")
    for n in sorted(os.listdir(pids_dir)):
        if not n.endswith(".pid"):
            continue
        name = n[:-4]
        pid = recorded_pid(state, name)
        if pid is None:
            required = not name.startswith("flux-")
            ok = ok and not required
            print(f"{name:40} stopped")
            continue
        rss = rss_kib(pid)
        total += rss
        print(f"{name:40} running pid {pid:<8} rss {rss / 1024:7.1f} MiB")
    for name, cluster in env.get("clusters", {}).items():
        try:
            ready = Kube(cluster).request("GET", "/readyz")[0] == 200
        except Exception:  # noqa: BLE001
            ready = False
        ok = ok and ready
        print(f"cluster {name}: {cluster['host']} {'ready' if ready else 'NOT READY'}")
        flux_state = os.path.join(cluster["dir"], "flux", "status.json")
        if os.path.exists(flux_state):
            for c, s in read_json(flux_state).items():
                print(f"  {c:38} {s}")
    git = env.get("git")
    print(f"git: {'state ' + git['dir'] if git else 'not started (git/up absent)'}")
    print(f"total rss of running processes: {total / 1024:.1f} MiB")
    return 0 if ok else 1


def cmd_new_repo(args):
    state = os.path.abspath(args.state)
    script = git_script("new-repo", state)
    if script is None:
        raise EnvError("tests/acceptance/env/git/new-repo is not in this tree")
    argv = [script, os.path.join(state, "git"), args.name] + (["--empty"] if args.empty else [])
    return subprocess.run(argv).returncode


# ---------------------------------------------------------------- supervisor


def crd_names(controller):
    names = []
    crd_dir = os.path.join(GO_BIN, "crds", controller)
    for f in sorted(os.listdir(crd_dir)) if os.path.isdir(crd_dir) else []:
        with open(os.path.join(crd_dir, f)) as fh:
            m = re.search(r"^metadata:\n(?:  .*\n)*?  name: (\S+)$", fh.read(), re.M)
            if m:
                names.append(m.group(1))
    return names


def controller_argv(controller, flux, events_enabled):
    events = f"http://127.0.0.1:{flux['events_port']}/" if events_enabled else ""
    argv = [
        binary(controller), "--metrics-addr=0",
        f"--health-addr=127.0.0.1:{flux['health_ports'].get(controller) or free_port()}",
        "--log-encoding=console", "--watch-all-namespaces=true",
    ]
    if controller == "source-controller":
        argv += [
            f"--storage-path={flux['storage_path']}",
            f"--storage-addr=127.0.0.1:{flux['storage_port']}",
            f"--storage-adv-addr=127.0.0.1:{flux['storage_port']}",
            f"--events-addr={events}",
        ]
    elif controller == "image-reflector-controller":
        # Its tag database (badger), on disk beside source-controller's storage.
        argv += [
            f"--storage-path={os.path.join(os.path.dirname(flux['storage_path']), 'image-db')}",
            # Badger maps its value log; 16 MiB instead of 256 MiB is plenty here.
            "--storage-value-log-file-size=16777216",
            f"--events-addr={events}",
        ]
    elif controller == "notification-controller":
        argv += [
            f"--events-addr=127.0.0.1:{flux['events_port']}",
            f"--receiverAddr=127.0.0.1:{flux['receiver_port']}",
        ]
    else:
        argv += [f"--events-addr={events}"]
    return argv


def operator_data_dir(cluster):
    """The Flux Operator's --storage-path, in the layout of the /data directory
    of its container image (flux/<version>/, one file per component plus
    rbac.yaml and policies.yaml), holding the built-in release only: it installs
    Flux from there when a FluxInstance names no distribution artifact, and only
    Flux minor versions found there are accepted from an artifact."""
    with open(os.path.join(FLUX_MANIFESTS, "VERSION")) as f:
        version = f.read().strip()
    data = os.path.join(cluster["dir"], "flux-operator", "data")
    dest = os.path.join(data, "flux", version)
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    src = os.path.join(FLUX_MANIFESTS, version)
    for f in sorted(os.listdir(src)):
        if f.endswith(".yaml"):
            shutil.copy(os.path.join(src, f), dest)
    return data


def operator_argv(cluster):
    # No leader election and no web UI: one operator per cluster, and the UI's
    # assets are a placeholder in this build.
    return [
        binary(FLUX_OPERATOR), "--metrics-addr=0",
        f"--health-addr=127.0.0.1:{free_port()}",
        "--log-encoding=console", "--enable-leader-election=false", "--web-server-port=0",
        f"--storage-path={operator_data_dir(cluster)}",
    ]


def operator_env(env, cluster, events_enabled):
    """The operator's environment: its events go to the local
    notification-controller, as they go to the in-cluster one when the
    FluxInstance installs it; it pulls distribution artifacts with the system
    roots, made the environment's CA, which signed the OCI registry's certificate."""
    env = dict(env, SSL_CERT_FILE=cluster["ca_file"])
    if events_enabled:
        env["NOTIFICATION_CONTROLLER_ADDRESS"] = f"http://127.0.0.1:{cluster['flux']['events_port']}/"
    else:
        env["NOTIFICATIONS_DISABLED"] = "true"
    return env


def crd_owners(controller):
    """Whose CRDs must be Established before `controller` starts: a Flux
    controller also needs source-controller's (they all watch sources)."""
    if controller == FLUX_OPERATOR:
        return [controller]
    return [controller, "source-controller"]


def deployment_status_patch(dep):
    replicas = (dep.get("spec") or {}).get("replicas", 1)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "status": {
            "observedGeneration": dep["metadata"].get("generation", 1),
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "conditions": [
                {
                    "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                    "message": "marked available by the flux-test environment (no kubelet)",
                    "lastUpdateTime": now, "lastTransitionTime": now,
                },
                {
                    "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                    "message": "marked by the flux-test environment (no kubelet)",
                    "lastUpdateTime": now, "lastTransitionTime": now,
                },
            ],
        }
    }


def list_deployments(kube):
    code, body = kube.request("GET", "/apis/apps/v1/deployments")
    return (body.get("items") or []) if code == 200 else []


def mark_deployments(kube, deployments):
    """The one simulated part: no kubelet runs Pods, so every Deployment is
    reported available as soon as it exists (and again after each change)."""
    for dep in deployments:
        meta, status = dep["metadata"], dep.get("status") or {}
        replicas = (dep.get("spec") or {}).get("replicas", 1)
        if (
            status.get("observedGeneration") == meta.get("generation")
            and status.get("availableReplicas") == replicas
            and status.get("updatedReplicas") == replicas
        ):
            continue
        kube.request(
            "PATCH",
            f"/apis/apps/v1/namespaces/{meta['namespace']}/deployments/{meta['name']}/status",
            deployment_status_patch(dep),
            "application/merge-patch+json",
        )


def flux_deployment_uids(deployments):
    """The uid of each Deployment in flux-system, by name: a controller's is the
    identity of the Pod a real cluster would run for it."""
    return {
        d["metadata"]["name"]: d["metadata"]["uid"]
        for d in deployments
        if d["metadata"].get("namespace") == "flux-system"
    }


def redeployed(seen_uid, uids, controller):
    """Whether `controller`'s Deployment was deleted and created again since its
    process started: a real cluster would run a new Pod, which starts with fresh
    informers. The process keeps running while no Deployment exists, as Flux
    objects are still served here without one."""
    before, now = seen_uid.get(controller), uids.get(controller)
    return before is not None and now is not None and before != now


def stop_process(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def events_available(kube, crds):
    """Whether notification-controller runs or is about to: it is built and its
    CRDs are Established (the supervisor starts it then)."""
    try:
        return os.access(os.path.join(GO_BIN, "notification-controller"), os.X_OK) and all(
            kube.crd_established(n) for n in crds["notification-controller"]
        )
    except Exception:  # noqa: BLE001 - the apiserver may be restarting
        return False


def cmd_supervise(args):
    state = os.path.abspath(args.state)
    cluster = read_json(env_path(state))["clusters"][args.cluster]
    kube = Kube(cluster)
    flux = cluster["flux"]
    os.makedirs(flux["storage_path"], exist_ok=True)
    status_file = os.path.join(cluster["dir"], "flux", "status.json")
    crds = {c: crd_names(c) for c in SUPERVISED}
    procs, restarts, status, with_events, seen_uid = {}, {}, {}, {}, {}
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    env = os.environ.copy()
    env["KUBECONFIG"] = cluster["kubeconfig"]
    env["RUNTIME_NAMESPACE"] = "flux-system"
    while not stopping:
        deployments = []
        try:
            deployments = list_deployments(kube)
            mark_deployments(kube, deployments)
        except Exception as e:  # noqa: BLE001 - the apiserver may be restarting
            log(f"deployment marker: {e}")
        uids = flux_deployment_uids(deployments)
        stale = [c for c, p in procs.items()
                 if p is not None and p.poll() is None and not with_events.get(c, True)]
        events_now = bool(stale) and events_available(kube, crds)
        for c in SUPERVISED:
            if not os.access(os.path.join(GO_BIN, c), os.X_OK):
                status[c] = "not built"
                continue
            proc = procs.get(c)
            if c in stale and events_now:
                # Started before notification-controller's CRDs existed, so its
                # events went nowhere: restart it so that Alerts see them.
                log(f"{c}: restarting to send events to notification-controller")
                stop_process(proc)
                procs[c] = proc = None
            if proc is not None and proc.poll() is None and redeployed(seen_uid, uids, c):
                # Its informers were watching CRDs that an uninstall deleted; the
                # new Pod of a real cluster would list them afresh.
                log(f"{c}: restarting as its Deployment was created again")
                stop_process(proc)
                procs[c] = proc = None
            seen_uid[c] = uids.get(c) or seen_uid.get(c)
            if proc is not None and proc.poll() is None:
                status[c] = f"running pid {proc.pid}"
                continue
            if proc is not None:
                restarts[c] = restarts.get(c, 0) + 1
                log(f"{c} exited with {proc.returncode}")
                procs[c] = None
            # A controller built after the supervisor started has its CRDs listed
            # only then; without them it would be started early and crash-loop.
            owners = crd_owners(c)
            for known in owners:
                crds[known] = crds[known] or crd_names(known)
            if not all(crds[o] for o in owners):
                status[c] = "no CRDs known (not built yet)"
                continue
            needed = sorted({n for o in owners for n in crds[o]})
            try:
                missing = [n for n in needed if not kube.crd_established(n)]
            except Exception:  # noqa: BLE001
                missing = needed
            if missing:
                status[c] = f"waiting for CRDs ({len(missing)} missing)"
                continue
            # Events go to notification-controller only when it will run: a
            # dead events address makes every event retry five times.
            events = c != "notification-controller" and events_available(kube, crds)
            with_events[c] = events or c == "notification-controller"
            name = f"flux-{args.cluster}-{c}"
            if c == FLUX_OPERATOR:
                procs[c] = spawn(state, name, operator_argv(cluster),
                                 operator_env(env, cluster, events))
            else:
                procs[c] = spawn(state, name, controller_argv(c, flux, events), env)
            status[c] = f"running pid {procs[c].pid} (starts {restarts.get(c, 0) + 1})"
        write_json(status_file, status)
        time.sleep(0.5)
    for proc in procs.values():
        if proc is not None and proc.poll() is None:
            proc.terminate()
    for proc in procs.values():
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


# ---------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(prog="envctl")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("up", "down", "status", "new-repo", "add-cluster", "recreate-cluster", "supervise"):
        sp = sub.add_parser(name)
        sp.add_argument("--state", default=DEFAULT_STATE)
        if name in ("new-repo", "add-cluster", "recreate-cluster"):
            sp.add_argument("name")
        if name == "new-repo":
            sp.add_argument("--empty", action="store_true")
        if name == "supervise":
            sp.add_argument("--cluster", required=True)
    args = p.parse_args()
    handler = {
        "up": cmd_up, "down": cmd_down, "status": cmd_status, "new-repo": cmd_new_repo,
        "add-cluster": cmd_add_cluster, "recreate-cluster": cmd_recreate_cluster,
        "supervise": cmd_supervise,
    }[args.cmd]
    try:
        return handler(args)
    except (EnvError, subprocess.CalledProcessError) as e:
        detail = ""
        if isinstance(e, subprocess.CalledProcessError) and e.stderr:
            detail = ": " + (e.stderr if isinstance(e.stderr, str) else e.stderr.decode()).strip()
        log(f"error: {e}{detail}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
