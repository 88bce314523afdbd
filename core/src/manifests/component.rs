//! The Flux controllers an install may include.

use std::fmt;
use std::str::FromStr;

use super::ManifestError;

/// A Flux controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// source-controller (required).
    SourceController,
    /// kustomize-controller (required).
    KustomizeController,
    /// helm-controller.
    HelmController,
    /// notification-controller.
    NotificationController,
    /// image-reflector-controller (extra).
    ImageReflectorController,
    /// image-automation-controller (extra).
    ImageAutomationController,
    /// source-watcher (extra).
    SourceWatcher,
}

impl Component {
    /// All seven, in Flux's order.
    pub const ALL: [Component; 7] = [
        Self::SourceController,
        Self::KustomizeController,
        Self::HelmController,
        Self::NotificationController,
        Self::ImageReflectorController,
        Self::ImageAutomationController,
        Self::SourceWatcher,
    ];
    /// The four default components, in the Flux CLI's order.
    pub const DEFAULTS: [Component; 4] = [
        Self::SourceController,
        Self::KustomizeController,
        Self::HelmController,
        Self::NotificationController,
    ];
    /// The components allowed in `components_extra`.
    pub const EXTRAS: [Component; 3] = [
        Self::ImageReflectorController,
        Self::ImageAutomationController,
        Self::SourceWatcher,
    ];

    /// The names of [`Component::ALL`], in the same order.
    pub const NAMES: [&'static str; 7] = {
        let mut names = [""; 7];
        let mut i = 0;
        while i < names.len() {
            names[i] = Self::ALL[i].name();
            i += 1;
        }
        names
    };

    /// The controller's name, e.g. `source-controller`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::SourceController => "source-controller",
            Self::KustomizeController => "kustomize-controller",
            Self::HelmController => "helm-controller",
            Self::NotificationController => "notification-controller",
            Self::ImageReflectorController => "image-reflector-controller",
            Self::ImageAutomationController => "image-automation-controller",
            Self::SourceWatcher => "source-watcher",
        }
    }

    /// The base manifest file of the controller.
    pub fn file_name(self) -> String {
        format!("{}.yaml", self.name())
    }

    /// True for the three components that go in `components_extra`.
    pub fn is_extra(self) -> bool {
        Self::EXTRAS.contains(&self)
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Component {
    type Err = ManifestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| ManifestError::invalid("components", s, "unknown component"))
    }
}
