//! Attribute paths on the wire.

use crate::path::{AttributePath, PathStep};
use crate::proto::tfplugin6 as pb;
use pb::attribute_path::step::Selector;

/// The protocol form of `path`.
pub(crate) fn attribute_path(path: &AttributePath) -> pb::AttributePath {
    pb::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(selector(s)),
            })
            .collect(),
    }
}

fn selector(step: &PathStep) -> Selector {
    match step {
        PathStep::Attribute(n) => Selector::AttributeName(n.clone()),
        PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
        PathStep::Index(i) => Selector::ElementKeyInt(*i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_keeps_every_step_kind() {
        let p = AttributePath::attr("a").at_key("k").at_index(3);
        let steps: Vec<_> = attribute_path(&p)
            .steps
            .into_iter()
            .map(|s| s.selector)
            .collect();
        assert_eq!(
            steps,
            vec![
                Some(Selector::AttributeName("a".into())),
                Some(Selector::ElementKeyString("k".into())),
                Some(Selector::ElementKeyInt(3)),
            ]
        );
    }

    #[test]
    fn root_path_has_no_steps() {
        assert!(attribute_path(&AttributePath::root()).steps.is_empty());
    }
}
