//! Flux's per-component base manifests (the content of the release's `manifests.tar.gz`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::component::Component;
use super::yaml::parse_objects;
use super::ManifestError;

include!(concat!(env!("OUT_DIR"), "/embedded_manifests.rs"));

/// The file of the RBAC objects.
pub(crate) const RBAC_FILE: &str = "rbac.yaml";
/// The file of the network policies.
pub(crate) const POLICIES_FILE: &str = "policies.yaml";

/// Flux's base manifests, parsed: one object list per file (`<component>.yaml`,
/// `rbac.yaml`, `policies.yaml`).
#[derive(Debug, Clone)]
pub struct BaseManifests {
    version: Option<String>,
    files: BTreeMap<String, Vec<Value>>,
}

impl BaseManifests {
    /// The set built into the library at compile time (see `core/build.rs`).
    pub fn embedded() -> Result<Self, ManifestError> {
        let files = EMBEDDED_FILES
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()));
        Self::from_texts(files, Some(EMBEDDED_VERSION.to_string()))
    }

    /// The Flux version of the set built in.
    pub fn embedded_version() -> &'static str {
        EMBEDDED_VERSION
    }

    /// Reads the files from a directory holding `<component>.yaml`, `rbac.yaml` and
    /// `policies.yaml`, or from a `manifests.tar.gz` file.
    ///
    /// Files of components that are not there are only an error when a render asks for them.
    pub fn from_path(path: &Path) -> Result<Self, ManifestError> {
        if path.is_file() {
            let bytes = std::fs::read(path).map_err(|source| ManifestError::Read {
                path: path.display().to_string(),
                source,
            })?;
            return Self::from_tar_gz(&bytes, &path.display().to_string(), None);
        }
        let mut texts = Vec::new();
        for name in known_files() {
            let file = path.join(&name);
            match std::fs::read_to_string(&file) {
                Ok(text) => texts.push((name, text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(ManifestError::Read {
                        path: file.display().to_string(),
                        source,
                    })
                }
            }
        }
        if texts.is_empty() {
            return Err(ManifestError::Read {
                path: path.display().to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no Flux manifest files in this directory",
                ),
            });
        }
        Self::from_texts(texts, None)
    }

    /// Unpacks a `manifests.tar.gz` held in memory. `what` names it in errors.
    pub fn from_tar_gz(
        bytes: &[u8],
        what: &str,
        version: Option<String>,
    ) -> Result<Self, ManifestError> {
        let archive_error = |source| ManifestError::Archive {
            what: what.to_string(),
            source,
        };
        let known = known_files();
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        let mut texts = Vec::new();
        for entry in archive.entries().map_err(archive_error)? {
            let mut entry = entry.map_err(archive_error)?;
            let path = entry.path().map_err(archive_error)?.into_owned();
            let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                continue;
            };
            if !entry.header().entry_type().is_file() || !known.contains(&name) {
                continue;
            }
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).map_err(archive_error)?;
            texts.push((name, text));
        }
        if texts.is_empty() {
            return Err(archive_error(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "no Flux manifest files in the archive",
            )));
        }
        Self::from_texts(texts, version)
    }

    fn from_texts(
        texts: impl IntoIterator<Item = (String, String)>,
        version: Option<String>,
    ) -> Result<Self, ManifestError> {
        let mut files = BTreeMap::new();
        for (name, text) in texts {
            let objects = parse_objects(&text, &name)?;
            files.insert(name, objects);
        }
        Ok(Self { version, files })
    }

    /// The Flux version these manifests come from, when known (embedded or downloaded).
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The objects of one file, or an error naming the missing file.
    pub(crate) fn get_file(&self, name: &str) -> Result<&[Value], ManifestError> {
        self.files
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| ManifestError::MissingBaseFile {
                file: name.to_string(),
            })
    }
}

fn known_files() -> Vec<String> {
    Component::ALL
        .iter()
        .map(|c| c.file_name())
        .chain([RBAC_FILE.to_string(), POLICIES_FILE.to_string()])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_has_every_file_and_the_version() {
        let base = BaseManifests::embedded().unwrap();
        assert_eq!(base.version(), Some("v2.9.4"));
        for name in known_files() {
            assert!(!base.get_file(&name).unwrap().is_empty(), "{name}");
        }
    }
}
