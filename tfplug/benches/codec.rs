//! The value codecs on the hot path of every RPC: msgpack (config, plan and state in
//! each request) and JSON (state upgrade and import). Run with
//! `cargo bench -p tfplug --bench codec`; prints the median of each measurement.
//!
//! Two shapes: a bootstrap-like state (a few large file contents, as
//! `repository_files` carries them, plus scalar and nested attributes) and a wide
//! plan (1000 objects with unknown values, as a large `for_each` produces).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark prints its figures and stops on a broken setup"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use tfplug::value::{json, msgpack};
use tfplug::{Number, Type, Value};

const RUNS: usize = 50;

fn bootstrap_like() -> (Type, Value) {
    let scalars: Vec<(String, Type)> = (0..40)
        .map(|i| (format!("attr_{i}"), Type::String))
        .collect();
    let nested = Type::object((0..10).map(|i| (format!("field_{i}"), Type::Number)));
    let mut attributes = scalars.clone();
    attributes.push(("repository_files".into(), Type::map(Type::String)));
    attributes.push(("components".into(), Type::set(Type::String)));
    attributes.push(("nested".into(), nested));
    let ty = Type::object(attributes);

    // gotk-components.yaml of a full install is about 600 KB of YAML.
    let file = |size: usize| Value::String("  key: value # yaml\n".repeat(size / 20));
    let files = Value::object([
        ("flux-system/gotk-components.yaml", file(600_000)),
        ("flux-system/gotk-sync.yaml", file(1_000)),
        ("flux-system/kustomization.yaml", file(200)),
    ]);
    let mut entries: Vec<(String, Value)> = scalars
        .iter()
        .map(|(name, _)| (name.clone(), Value::String(format!("value of {name}"))))
        .collect();
    entries.push(("repository_files".into(), files));
    entries.push((
        "components".into(),
        Value::set(
            [
                "source-controller",
                "kustomize-controller",
                "helm-controller",
                "notification-controller",
                "image-reflector-controller",
                "image-automation-controller",
                "extra",
            ]
            .map(|s| Value::String(s.into())),
        ),
    ));
    entries.push((
        "nested".into(),
        Value::object((0..10).map(|i| {
            (
                format!("field_{i}"),
                Value::Number(Number::Int(i * 1_000_003)),
            )
        })),
    ));
    (ty, Value::object(entries))
}

fn wide_plan() -> (Type, Value) {
    let element = Type::object([
        ("name", Type::String),
        ("namespace", Type::String),
        ("path", Type::String),
        ("interval", Type::String),
        ("prune", Type::Bool),
        ("ready", Type::Bool),
        ("revision", Type::String),
        ("retries", Type::Number),
    ]);
    let items = (0..1000).map(|i| {
        Value::object([
            ("name", Value::String(format!("app-{i}"))),
            ("namespace", Value::String("flux-system".into())),
            ("path", Value::String(format!("./apps/app-{i}"))),
            ("interval", Value::String("10m0s".into())),
            ("prune", Value::Bool(true)),
            ("ready", Value::unknown()),
            ("revision", Value::unknown()),
            ("retries", Value::Null),
        ])
    });
    (Type::list(element), Value::list(items))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn measure(label: &str, bytes: usize, mut op: impl FnMut()) {
    op();
    let samples = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            op();
            start.elapsed()
        })
        .collect();
    let median = median(samples);
    let mib_s = bytes as f64 / (1024.0 * 1024.0) / median.as_secs_f64();
    println!(
        "{label:<34} median {:>8.3} ms  ({bytes} bytes, {mib_s:.0} MiB/s, {RUNS} runs)",
        median.as_secs_f64() * 1000.0
    );
}

fn bench_shape(shape: &str, ty: &Type, value: &Value) {
    let packed = msgpack::encode(value, ty).unwrap();
    assert_eq!(
        &msgpack::decode(&packed, ty).unwrap(),
        value,
        "msgpack round trip"
    );
    measure(&format!("{shape}: msgpack encode"), packed.len(), || {
        black_box(msgpack::encode(black_box(value), ty).unwrap());
    });
    measure(&format!("{shape}: msgpack decode"), packed.len(), || {
        black_box(msgpack::decode(black_box(&packed), ty).unwrap());
    });

    // JSON state has no unknown values.
    if value.is_wholly_known() {
        let text = json::encode(value, ty).unwrap();
        assert_eq!(&json::decode(&text, ty).unwrap(), value, "json round trip");
        measure(&format!("{shape}: json encode"), text.len(), || {
            black_box(json::encode(black_box(value), ty).unwrap());
        });
        measure(&format!("{shape}: json decode"), text.len(), || {
            black_box(json::decode(black_box(&text), ty).unwrap());
        });
    }
}

fn main() {
    let (ty, value) = bootstrap_like();
    bench_shape("bootstrap state", &ty, &value);
    let (ty, value) = wide_plan();
    bench_shape("wide plan (1000 objects)", &ty, &value);
}
