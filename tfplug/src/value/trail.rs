//! Where a codec is inside a value.

use crate::path::AttributePath;

/// Where the codec is inside a value, as borrowed steps: the owned
/// [`AttributePath`] of an error is built only when there is one, not for every
/// value of a large plan.
#[derive(Clone, Copy)]
pub(super) enum Trail<'a> {
    Root,
    Attr(&'a Trail<'a>, &'a str),
    Key(&'a Trail<'a>, &'a str),
    Index(&'a Trail<'a>, usize),
}

impl Trail<'_> {
    pub(super) fn path(&self) -> AttributePath {
        match self {
            Trail::Root => AttributePath::root(),
            Trail::Attr(parent, name) => parent.path().at_attr(*name),
            Trail::Key(parent, key) => parent.path().at_key(*key),
            Trail::Index(parent, index) => parent.path().at_index(*index),
        }
    }
}
