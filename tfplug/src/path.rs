//! Attribute paths: where in a configuration a value or a diagnostic belongs.

use std::fmt;

/// One step of an [`AttributePath`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathStep {
    /// An attribute of an object (`.name`).
    Attribute(String),
    /// An element of a map, by key (`["key"]`).
    Key(String),
    /// An element of a list or tuple, by index (`[0]`).
    Index(i64),
}

/// A path from the root of a configuration or state to one value, such as
/// `git.http.password` or `tags["team"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttributePath(Vec<PathStep>);

impl AttributePath {
    /// The empty path: the whole object.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// A path of one attribute at the root.
    pub fn attr(name: impl Into<String>) -> Self {
        Self(vec![PathStep::Attribute(name.into())])
    }

    /// This path followed by an attribute.
    pub fn at_attr(&self, name: impl Into<String>) -> Self {
        self.push(PathStep::Attribute(name.into()))
    }

    /// This path followed by a map key.
    pub fn at_key(&self, key: impl Into<String>) -> Self {
        self.push(PathStep::Key(key.into()))
    }

    /// This path followed by a list index.
    pub fn at_index(&self, index: usize) -> Self {
        self.push(PathStep::Index(i64::try_from(index).unwrap_or(i64::MAX)))
    }

    fn push(&self, step: PathStep) -> Self {
        let mut steps = self.0.clone();
        steps.push(step);
        Self(steps)
    }

    /// The steps of the path.
    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    /// Whether the path is the root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(root)");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(n) if i == 0 => write!(f, "{n}")?,
                PathStep::Attribute(n) => write!(f, ".{n}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_displays_like_terraform_expressions() {
        let p = AttributePath::attr("git")
            .at_attr("http")
            .at_attr("password");
        assert_eq!(p.to_string(), "git.http.password");
        let p = AttributePath::attr("tags").at_key("team").at_index(2);
        assert_eq!(p.to_string(), "tags[\"team\"][2]");
    }
}
