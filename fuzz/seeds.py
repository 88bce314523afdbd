#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/corpus/<target>/seed-*.

Run from anywhere: `python3 fuzz/seeds.py`. The seeds are realistic inputs (the
project's kustomization override fixtures, Flux's own manifests, known_hosts lines and
SSH keys made by ssh-keygen, durations and semver ranges as users write them, values
shaped like Terraform's). The committed corpus is these seeds plus what the fuzzers
found, minimized with `cargo fuzz cmin`; re-running this script only adds seeds.

The SSH private keys are throwaway keys generated here for the corpus; they protect
nothing.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import subprocess
import tempfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "corpus"

# fuzz/src/lib.rs: NAMES and the type grammar of arbitrary_type.
NAMES = ["a", "b", "c", "id", "name", "spec", "value", "", "a b", "ü"]


def write(target, name, data):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (directory / f"seed-{name}").write_bytes(data)


# --- types (the byte grammar of fuzz/src/lib.rs arbitrary_type) ---------------------


def t_string():
    return b"\x00"


def t_number():
    return b"\x01"


def t_bool():
    return b"\x02"


def t_dynamic():
    return b"\x03"


def t_list(t):
    return b"\x04" + t


def t_set(t):
    return b"\x05" + t


def t_map(t):
    return b"\x06" + t


def t_object(*attrs):
    out = b"\x07" + bytes([len(attrs)])
    for name, t in attrs:
        out += bytes([NAMES.index(name)]) + t
    return out


def t_tuple(*elems):
    return b"\x08" + bytes([len(elems)]) + b"".join(elems)


# --- msgpack, the subset Terraform writes --------------------------------------------


class Ext:
    def __init__(self, kind, payload):
        self.kind, self.payload = kind, payload


def mp(v):
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if 0 <= v < 2**64 and v >= 2**63:
            return b"\xcf" + struct.pack(">Q", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return bytes([0xA0 | len(b)]) + b
        return b"\xd9" + bytes([len(b)]) + b if len(b) < 256 else b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, bytes):
        return b"\xc4" + bytes([len(v)]) + v
    if isinstance(v, Ext):
        if len(v.payload) == 1:
            return b"\xd4" + struct.pack("b", v.kind) + v.payload
        return b"\xc7" + bytes([len(v.payload)]) + struct.pack("b", v.kind) + v.payload
    if isinstance(v, list):
        return bytes([0x90 | len(v)]) + b"".join(mp(x) for x in v)
    if isinstance(v, dict):
        return bytes([0x80 | len(v)]) + b"".join(mp(k) + mp(x) for k, x in v.items())
    raise TypeError(v)


UNKNOWN = Ext(0, b"\x00")
REFINED_NOT_NULL = Ext(12, b"\x81\x01\xc3")


def value_seeds():
    cases = [
        ("object", t_object(("a", t_string()), ("b", t_number())), {"a": "flux-system", "b": 1}),
        (
            "nested-unknown",
            t_object(("id", t_string()), ("spec", t_object(("name", t_string()), ("value", t_list(t_string()))))),
            {"id": UNKNOWN, "spec": {"name": "main", "value": ["a", REFINED_NOT_NULL, None]}},
        ),
        (
            "dynamic",
            t_object(("value", t_dynamic())),
            {"value": [b'["object",{"a":"number","b":["list","string"]}]', {"a": "123456789012345678901234567890.5", "b": ["x"]}]},
        ),
        ("refined-unknown", t_string(), REFINED_NOT_NULL),
        ("set", t_set(t_string()), ["b", "a"]),
        ("tuple", t_tuple(t_string(), t_bool(), t_number()), ["x", True, 0.1]),
        ("map-numbers", t_map(t_number()), {"x": 1.5, "y": "1e400", "z": 2**64 - 1, "w": -(2**63)}),
        ("null", t_object(("a", t_list(t_map(t_bool())))), None),
    ]
    for name, ty, value in cases:
        write("value_msgpack", name, ty + mp(value))
    json_cases = [
        (
            "state",
            t_object(("id", t_string()), ("name", t_number()), ("spec", t_map(t_string()))),
            '{"id":"flux-system","spec":{"a":"b"}}',
        ),
        (
            "numbers",
            t_list(t_number()),
            "[123456789012345678901234567890.123456789,1e400,18446744073709551615,-9223372036854775808,0.1,2.5,\"1.000000000000000000001\"]",
        ),
        ("dynamic", t_object(("value", t_dynamic())), '{"value":{"value":{"a":1e400},"type":["object",{"a":"number"}]}}'),
        ("dynamic-type-first", t_dynamic(), '{"type":["tuple",["string","bool"]],"value":["a",true]}'),
        ("tuple", t_tuple(t_string(), t_bool()), '["a",true]'),
        ("set-of-objects", t_set(t_object(("name", t_string()), ("value", t_string()))), '[{"name":"a","value":"b"},{"name":"c","value":null}]'),
    ]
    for name, ty, text in json_cases:
        write("value_json", name, ty + text.encode())


# --- provider schemas -------------------------------------------------------------------

# Provider configuration, 13 resources, 2 data sources (provider/src/lib.rs order).
SCHEMA_COUNT = 16
BOOTSTRAP_GIT = 1


def provider_schema_seeds():
    for index in range(SCHEMA_COUNT):
        # Structured mode, nothing else: the schema's object with every attribute null.
        write("provider_schemas", f"{index}-structured-null", bytes([index, 2]))
        # Structured mode picking the first realistic string and known values throughout.
        write("provider_schemas", f"{index}-structured-known", bytes([index, 2]) + b"\x07\x00" * 64)
        # Raw msgpack: an empty map is the object with every attribute null.
        write("provider_schemas", f"{index}-msgpack-empty", bytes([index, 0, 0x80]))
    state = json.loads((ROOT / "tests/fixtures/reference-provider/http/terraform.tfstate").read_text())
    for resource in state["resources"]:
        if resource["type"] != "flux_bootstrap_git":
            continue
        attributes = resource["instances"][0]["attributes"]
        # The committed files are megabytes; one short file keeps the shape.
        attributes["repository_files"] = {"clusters/dev/flux-system/kustomization.yaml": "resources: []\n"}
        text = json.dumps(attributes, separators=(",", ":"))
        write("provider_schemas", "bootstrap-git-reference-state", bytes([BOOTSTRAP_GIT, 1]) + text.encode())


# --- kustomization overrides and YAML -------------------------------------------------


def override_seeds():
    for path in sorted((ROOT / "core/tests/testdata/manifests/overrides").glob("*.yaml")):
        text = path.read_text()
        write("kustomization_override", path.stem, text)
        write("yaml_roundtrip", path.stem, text)
    manifests = ROOT / "core/flux-manifests/v2.9.4"
    for name in ["policies.yaml", "rbac.yaml"]:
        write("yaml_roundtrip", name, (manifests / name).read_text())
    # The controller Deployment (not the CRDs, which are large).
    for doc in (manifests / "kustomize-controller.yaml").read_text().split("\n---\n"):
        if "\nkind: Deployment\n" in "\n" + doc + "\n":
            write("yaml_roundtrip", "kustomize-controller-deployment", doc + "\n")
    write(
        "yaml_roundtrip",
        "tricky-scalars",
        "a:\n- '*'\n- \"\"\n- 'true'\n- '1000'\n- '0x1F'\n- 'yes'\n- '~'\n- |-\n  line1\n  line2\n- |+\n  many\n\n- \"c\\u0001d\"\n- ' lead'\n"
        "b: 1.25\nc: null\nd: {}\ne: []\n'1': one\n",
    )
    write("yaml_roundtrip", "noncharacters", 'a: "x\\uFFFEy"\nb: ["\\uFFFF", "\\uFEFFz"]\n"\\uFEFFk": v\n')


# --- known_hosts and SSH keys ----------------------------------------------------------


def keygen(directory, name, *args):
    path = Path(directory) / name
    subprocess.run(["ssh-keygen", "-q", "-f", str(path), "-C", "fuzz@example.com", *args], check=True)
    return path.read_text(), (Path(str(path) + ".pub")).read_text().strip()


def ssh_seeds():
    github = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    with tempfile.TemporaryDirectory() as tmp:
        ed_key, ed_pub = keygen(tmp, "ed25519", "-t", "ed25519", "-N", "")
        ec_key, ec_pub = keygen(tmp, "ecdsa", "-t", "ecdsa", "-b", "256", "-N", "")
        rsa_key, rsa_pub = keygen(tmp, "rsa", "-t", "rsa", "-b", "2048", "-N", "")
        enc_key, _ = keygen(tmp, "encrypted", "-t", "ed25519", "-N", "passphrase", "-a", "1")
        pem_key, _ = keygen(tmp, "pem", "-t", "ecdsa", "-b", "256", "-N", "", "-m", "PEM")
        pkcs8 = subprocess.run(
            ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            check=True, capture_output=True, text=True,
        ).stdout
        for name, text in [
            ("openssh-ed25519", ed_key),
            ("openssh-ecdsa", ec_key),
            ("openssh-rsa", rsa_key),
            ("openssh-encrypted", enc_key),
            ("pem-ecdsa", pem_key),
            ("pkcs8-ecdsa", pkcs8),
        ]:
            write("ssh_keys", name, text)
        write("ssh_keys", "generated-ed25519", b"\x01" + bytes(range(32)) + b"\x00flux@cluster")
        write("ssh_keys", "generated-ed25519-crlf", b"\x01" + bytes(range(32, 64)) + b"\x01")

        def body(pub):
            return pub.split()[:2]

        ed_type, ed_b64 = body(ed_pub)
        ec_type, ec_b64 = body(ec_pub)
        rsa_type, rsa_b64 = body(rsa_pub)
        salt = os.urandom(20)
        digest = hmac.new(salt, b"git.example.com", hashlib.sha1).digest()
        hashed = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"
        lines = {
            "github": github + "\n",
            "plain-three-types": f"git.example.com {ed_type} {ed_b64}\ngit.example.com {ec_type} {ec_b64}\ngit.example.com {rsa_type} {rsa_b64}\n",
            "port-and-patterns": f"# comment\n[127.0.0.1]:2222,[localhost]:2222 {ed_type} {ed_b64}\n*.example.com,!bad.example.com {ec_type} {ec_b64}\ngit?.example.org {ed_type} {ed_b64} comment\n",
            "hashed": f"{hashed} {ed_type} {ed_b64}\n",
            "markers": f"@revoked git.example.com {ed_type} {ed_b64}\n@cert-authority *.example.com {ec_type} {ec_b64}\ngit.example.com {ed_type} {ed_b64}\n",
        }
        for name, text in lines.items():
            write("known_hosts", name, text)
        key = base64.b64decode(ed_b64)
        write("known_hosts", "query", lines["port-and-patterns"].encode() + b"\0[127.0.0.1]:2222\0ssh-ed25519\0" + key[15:])
        write("known_hosts", "query-glob", b"*.*.*.example.com " + f"{ed_type} {ed_b64}\n".encode() + b"\0a.b.c.d.example.com\0ssh-ed25519\0k")


# --- durations and semver ranges -----------------------------------------------------


def text_seeds():
    for i, text in enumerate([
        "1m30s", "1m", "10m0s", "5m", "1.5h", "300ms", "2h45m30.5s", "100us", "100µs", "5ns",
        ".5m", "-1m", "0", "0s", "1h0m0s", "9223372036854775807ns", "2562047h47m16.854775807s",
        "-2562047h47m16.854775808s", "1.000000001s",
    ]):
        write("go_duration", str(i), text)
    for i, text in enumerate([
        ">=1.0.0 <2.0.0", "~1.2", "1.x", "^1.0.0", "1.2 - 1.4.5", ">= 1.0, < 2.0", "<1 || >=3",
        "*", "1.0.0-rc.1", "v1.2.3", "=1.0.0", "!=1.0.0", "~>1.2", "=>1.0", "1.0.0+build.1",
        ">=6.0.0-0", "1.X.x",
    ]):
        write("semver_range", str(i), text)


def main():
    value_seeds()
    provider_schema_seeds()
    override_seeds()
    ssh_seeds()
    text_seeds()


if __name__ == "__main__":
    main()
