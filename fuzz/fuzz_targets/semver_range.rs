//! The two semver range validators (Masterminds/semver as source-controller reads it):
//! `manifests::validate_semver_range` (bootstrap `sync_semver`) and
//! `objects::Check::SemverRange` (`ref.semver`, chart `version`, ...). Neither panics,
//! and they must agree on every text: a range accepted by one resource and refused by
//! another is a bug in one of them.
#![no_main]

use flux_core::manifests::validate_semver_range;
use flux_core::objects::Check;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let bootstrap = validate_semver_range("sync_semver", text).is_ok();
    let objects = Check::SemverRange.check(text).is_ok();
    assert_eq!(
        bootstrap, objects,
        "{text:?}: validate_semver_range says {bootstrap}, Check::SemverRange says {objects}"
    );
});
