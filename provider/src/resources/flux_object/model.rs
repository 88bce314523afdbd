//! The attributes every Flux object resource shares, as Rust types: read from a
//! known plan or state (each error located at its attribute) and written back by
//! [`ObjectModel::write`]. Defaults come from the schema and the plan, never from
//! here. The kind's spec fields are read by `convert`.

use std::collections::BTreeMap;
use std::time::Duration;

use flux_core::cluster::ObjectRef;
use flux_core::manifests::GoDuration;
use flux_core::objects::{self, KindDef, ObjectStatus};
use flux_core::Sensitive;
use tfplug::{AttributePath, Diagnostic, FromValue, ObjectAccess, Unknowable, Value};

/// How an object reaches the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Committed to the provider's repository, applied by Flux.
    Git,
    /// Applied by server-side apply.
    Cluster,
}

impl Delivery {
    /// The `delivery` value `text` names.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "git" => Some(Delivery::Git),
            "cluster" => Some(Delivery::Cluster),
            _ => None,
        }
    }

    /// The delivery named by a value, if it is known and valid.
    pub fn of(value: &Value) -> Option<Self> {
        value.as_str().and_then(Self::parse)
    }

    /// The `delivery` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Git => "git",
            Delivery::Cluster => "cluster",
        }
    }
}

impl FromValue for Delivery {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        let text = String::from_value(value, path)?;
        Self::parse(&text).ok_or_else(|| {
            Diagnostic::error(
                "Invalid Attribute Value",
                format!("{path} must be git or cluster, found {text:?}."),
            )
            .at(path.clone())
        })
    }
}

/// The common attributes of a known plan or state of a Flux object resource.
#[derive(Clone, Debug)]
pub struct ObjectModel {
    /// `name`.
    pub name: String,
    /// `namespace`.
    pub namespace: String,
    /// `delivery`.
    pub delivery: Delivery,
    /// `git_directory`, normalized; `None` when null or not known until apply.
    pub git_directory: Option<String>,
    /// `git_file`; `None` when null or not known until apply.
    pub git_file: Option<String>,
    /// `wait`.
    pub wait: bool,
    /// `wait_timeout`.
    pub wait_timeout: Duration,
    /// `secret_data` (null entries left out).
    pub secret_data: Option<BTreeMap<String, Sensitive<String>>>,
}

impl TryFrom<&Value> for ObjectModel {
    type Error = Diagnostic;

    fn try_from(value: &Value) -> Result<Self, Diagnostic> {
        let o = ObjectAccess::root(value);
        let secret_data = o
            .get::<Option<BTreeMap<String, Option<String>>>>("secret_data")?
            .map(|entries| {
                entries
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k, Sensitive::new(v))))
                    .collect()
            });
        Ok(Self {
            name: o.get("name")?,
            namespace: o.get("namespace")?,
            delivery: o.get("delivery")?,
            git_directory: o
                .get::<Unknowable<Option<String>>>("git_directory")?
                .known()
                .flatten()
                .map(|d| normalize_directory(&d)),
            git_file: o
                .get::<Unknowable<Option<String>>>("git_file")?
                .known()
                .flatten(),
            wait: o.get("wait")?,
            wait_timeout: duration(&o, "wait_timeout")?,
            secret_data,
        })
    }
}

fn duration(o: &ObjectAccess<'_>, name: &str) -> Result<Duration, Diagnostic> {
    let text: String = o.get(name)?;
    GoDuration::parse(&text)
        .map(GoDuration::to_std)
        .map_err(|e| Diagnostic::from_error("Invalid Attribute Value", &e).at(o.path_of(name)))
}

impl ObjectModel {
    /// The object in the cluster.
    pub fn object_ref(&self, kind: &KindDef) -> ObjectRef {
        ObjectRef::new(
            kind.api_version,
            kind.kind,
            Some(&self.namespace),
            &self.name,
        )
    }

    /// `<namespace>/<name>`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The label of the object's file changes in commit messages.
    pub fn label(&self, kind: &KindDef) -> String {
        format!("{} {}", kind.kind, self.id())
    }

    /// The repository path of the object's file: `git_file`, else the file in
    /// `git_directory`; `None` when neither is known.
    pub fn file_path(&self, kind: &KindDef) -> Option<String> {
        self.git_file.clone().or_else(|| {
            self.git_directory
                .as_ref()
                .map(|d| join(d, &objects::file_name(kind, &self.namespace, &self.name)))
        })
    }

    /// Writes the attributes the provider computes (`id`, `git_directory`,
    /// `git_file` and the status) into `state`.
    pub fn write(&self, status: &ObjectStatus, state: &mut Value) {
        state.set_attr("id", Value::from(self.id()));
        state.set_attr("git_directory", optional(self.git_directory.clone()));
        state.set_attr("git_file", optional(self.git_file.clone()));
        state.set_attr("ready", Value::from(status.ready));
        state.set_attr("revision", optional(status.revision.clone()));
        state.set_attr("message", Value::from(status.message.clone()));
    }
}

fn optional(value: Option<String>) -> Value {
    value.map(Value::from).unwrap_or(Value::Null)
}

/// A directory as the resource stores it: no leading `./`, no outer slashes.
pub fn normalize_directory(dir: &str) -> String {
    dir.trim_start_matches("./").trim_matches('/').to_string()
}

/// `file` in `directory` (the repository root when empty).
pub fn join(directory: &str, file: &str) -> String {
    if directory.is_empty() {
        file.to_string()
    } else {
        format!("{directory}/{file}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_core::objects::kinds::KUSTOMIZATION;

    fn state() -> Value {
        Value::object([
            ("name", Value::from("web")),
            ("namespace", Value::from("apps")),
            ("delivery", Value::from("git")),
            ("git_directory", Value::from("./clusters/a/")),
            ("git_file", Value::unknown()),
            ("wait", Value::from(false)),
            ("wait_timeout", Value::from("1m30s")),
            (
                "secret_data",
                Value::object([("token", Value::from("t")), ("gone", Value::Null)]),
            ),
        ])
    }

    #[test]
    fn try_from_reads_the_common_attributes() {
        let model = ObjectModel::try_from(&state()).unwrap();
        assert_eq!(model.id(), "apps/web");
        assert_eq!(model.delivery, Delivery::Git);
        assert_eq!(model.git_directory.as_deref(), Some("clusters/a"));
        assert_eq!(model.git_file, None);
        assert_eq!(model.wait_timeout, Duration::from_secs(90));
        let secrets = model.secret_data.unwrap();
        assert_eq!(secrets.keys().collect::<Vec<_>>(), ["token"]);
        assert_eq!(
            ObjectModel::try_from(&state())
                .unwrap()
                .file_path(&KUSTOMIZATION),
            Some("clusters/a/kustomization-apps-web.yaml".to_string())
        );
    }

    #[test]
    fn try_from_errors_are_located_at_their_attribute() {
        for (name, bad) in [
            ("delivery", Value::from("ftp")),
            ("wait_timeout", Value::from("soon")),
            ("wait", Value::Null),
            ("namespace", Value::unknown()),
        ] {
            let mut value = state();
            value.set_attr(name, bad);
            let err = ObjectModel::try_from(&value).unwrap_err();
            assert_eq!(err.path, Some(AttributePath::attr(name)), "{name}");
        }
    }

    #[test]
    fn write_sets_the_computed_attributes() {
        let mut model = ObjectModel::try_from(&state()).unwrap();
        model.git_file = Some("clusters/a/kustomization-apps-web.yaml".into());
        let status = ObjectStatus {
            ready: false,
            message: "not in the cluster yet".into(),
            revision: None,
        };
        let mut out = state();
        model.write(&status, &mut out);
        assert_eq!(out.attr("id").as_str(), Some("apps/web"));
        assert_eq!(out.attr("git_directory").as_str(), Some("clusters/a"));
        assert_eq!(
            out.attr("git_file").as_str(),
            Some("clusters/a/kustomization-apps-web.yaml")
        );
        assert_eq!(out.attr("ready").as_bool(), Some(false));
        assert!(out.attr("revision").is_null());
    }
}
