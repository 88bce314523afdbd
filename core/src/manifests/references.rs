//! The files and directories a kustomization reads from its repository, so that a
//! missing one is found before anything is committed or applied.

use serde_json::Value;

use super::kustomization::KUSTOMIZATION_FILES;
use super::yaml::parse_yaml_stream;

/// The names kustomize looks for in a directory it is pointed at.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// What a reference must be in the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A file.
    File,
    /// A directory holding a kustomization file.
    Kustomization,
    /// Either (a `resources` entry).
    FileOrKustomization,
}

/// One path a kustomization reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalReference {
    /// The field that names it (`resources[2]`, `patches[0].path`).
    pub field: String,
    /// The path from the repository root, normalized (no `.` or `..` segments).
    pub path: String,
    /// What it must be.
    pub expect: Expect,
}

/// A reference that leaves the repository (more `..` than directories above it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} points outside the repository: {path}")]
pub struct OutsideRepository {
    /// The field that names it.
    pub field: String,
    /// The path as written.
    pub path: String,
}

/// The local paths the kustomization in `text`, stored at `dir` (relative to the
/// repository root), reads: resources other than the gotk files, components, patch
/// files and generator sources. Remote resources (URLs) are left out. Text that does
/// not parse gives no references: parsing reports that.
pub fn local_references(text: &str, dir: &str) -> Result<Vec<LocalReference>, OutsideRepository> {
    let Ok(documents) = parse_yaml_stream(text, "kustomization") else {
        return Ok(Vec::new());
    };
    let Some(Value::Object(root)) = documents.into_iter().next() else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    let strings = |key: &str| -> Vec<(usize, String)> {
        root.get(key)
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .enumerate()
                    .filter_map(|(i, v)| Some((i, v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    };
    for (i, entry) in strings("resources") {
        let name = entry.trim_start_matches("./");
        if !KUSTOMIZATION_FILES.contains(&name) && !is_remote(&entry) {
            found.push((
                format!("resources[{i}]"),
                entry,
                Expect::FileOrKustomization,
            ));
        }
    }
    for (i, entry) in strings("components") {
        if !is_remote(&entry) {
            found.push((format!("components[{i}]"), entry, Expect::Kustomization));
        }
    }
    for (i, entry) in strings("patchesStrategicMerge") {
        if !entry.trim().contains('\n') && !entry.contains(':') {
            found.push((format!("patchesStrategicMerge[{i}]"), entry, Expect::File));
        }
    }
    for key in ["patches", "patchesJson6902"] {
        for (i, entry) in entries(root.get(key)) {
            if let Some(path) = entry.get("path").and_then(Value::as_str) {
                found.push((format!("{key}[{i}].path"), path.to_string(), Expect::File));
            }
        }
    }
    for key in ["configMapGenerator", "secretGenerator"] {
        for (i, entry) in entries(root.get(key)) {
            for source in ["files", "envs"] {
                for (j, value) in entry
                    .get(source)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if let Some(value) = value.as_str() {
                        // `files` entries may be `key=path`.
                        let path = value.split_once('=').map_or(value, |(_, p)| p);
                        let field = format!("{key}[{i}].{source}[{j}]");
                        found.push((field, path.to_string(), Expect::File));
                    }
                }
            }
        }
    }
    found
        .into_iter()
        .map(|(field, path, expect)| {
            let joined = join(dir, &path).ok_or_else(|| OutsideRepository {
                field: field.clone(),
                path: path.clone(),
            })?;
            Ok(LocalReference {
                field,
                path: joined,
                expect,
            })
        })
        .collect()
}

fn entries(value: Option<&Value>) -> Vec<(usize, &serde_json::Map<String, Value>)> {
    value
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .enumerate()
                .filter_map(|(i, v)| Some((i, v.as_object()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// kustomize loads these from the network (git or HTTP), not from the repository.
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
}

/// `dir/path` with `.` and `..` resolved; `None` when it climbs above the root.
fn join(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    let start = if path.starts_with('/') { "" } else { dir };
    for segment in start.split('/').chain(path.split('/')) {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = "clusters/dev/flux-system";

    fn refs(text: &str) -> Vec<(String, String, Expect)> {
        local_references(text, DIR)
            .unwrap()
            .into_iter()
            .map(|r| (r.field, r.path, r.expect))
            .collect()
    }

    #[test]
    fn every_kind_of_local_reference_is_listed_from_the_repository_root() {
        let text = "resources:\n- gotk-components.yaml\n- ./gotk-sync.yaml\n- extra.yaml\n- ../apps\n- https://example.com/x.yaml\n- github.com/org/repo//base?ref=v1\ncomponents: [../../components/proxy]\npatchesStrategicMerge:\n- smp.yaml\n- |\n  kind: Deployment\n  metadata: {name: a}\npatches:\n- path: patches/p.yaml\n- patch: 'a: b'\npatchesJson6902:\n- path: ops.yaml\nconfigMapGenerator:\n- name: c\n  files: [key=data/a.txt, b.txt]\n  envs: [c.env]\n  literals: [a=b]\n";
        assert_eq!(
            refs(text),
            vec![
                (
                    "resources[2]".into(),
                    format!("{DIR}/extra.yaml"),
                    Expect::FileOrKustomization
                ),
                (
                    "resources[3]".into(),
                    "clusters/dev/apps".into(),
                    Expect::FileOrKustomization
                ),
                (
                    "components[0]".into(),
                    "clusters/components/proxy".into(),
                    Expect::Kustomization
                ),
                (
                    "patchesStrategicMerge[0]".into(),
                    format!("{DIR}/smp.yaml"),
                    Expect::File
                ),
                (
                    "patches[0].path".into(),
                    format!("{DIR}/patches/p.yaml"),
                    Expect::File
                ),
                (
                    "patchesJson6902[0].path".into(),
                    format!("{DIR}/ops.yaml"),
                    Expect::File
                ),
                (
                    "configMapGenerator[0].files[0]".into(),
                    format!("{DIR}/data/a.txt"),
                    Expect::File
                ),
                (
                    "configMapGenerator[0].files[1]".into(),
                    format!("{DIR}/b.txt"),
                    Expect::File
                ),
                (
                    "configMapGenerator[0].envs[0]".into(),
                    format!("{DIR}/c.env"),
                    Expect::File
                ),
            ]
        );
    }

    #[test]
    fn a_reference_above_the_repository_root_is_an_error() {
        let err = local_references("resources: [../../../../x.yaml]\n", DIR).unwrap_err();
        assert_eq!(
            err.to_string(),
            "resources[0] points outside the repository: ../../../../x.yaml"
        );
        assert!(refs("resources: [../../../x.yaml]\n")
            .iter()
            .any(|r| r.1 == "x.yaml"));
    }

    #[test]
    fn the_default_kustomization_reads_nothing() {
        assert!(refs(&super::super::default_kustomization()).is_empty());
        assert!(refs("not: [valid").is_empty());
    }
}
