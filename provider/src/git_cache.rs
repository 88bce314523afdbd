//! The provider's one git repository cache. Every resource that writes git takes
//! it from the provider data, so that a bootstrap and the Flux objects writing to
//! one repository share its commit queue (and the objects' batches) instead of
//! racing each other for pushes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use flux_core::git::RepoCache;
use flux_core::objects::GitDelivery;
use tfplug::Diagnostic;

/// The environment variable naming the cache directory (else one under the
/// system's temporary directory).
const CACHE_DIR_VARIABLE: &str = "FLUX_PROVIDER_GIT_CACHE";

/// A handle on the provider's git cache, created on first use (creating it makes
/// a directory, which a plan without git never needs). Clones share the cache.
#[derive(Clone, Debug, Default)]
pub struct GitCache {
    slot: Arc<Mutex<Option<Writers>>>,
}

/// The cache and the Flux objects' batching delivery on top of it.
#[derive(Clone, Debug)]
struct Writers {
    cache: RepoCache,
    objects: GitDelivery,
}

impl GitCache {
    /// The repository cache.
    pub fn repo_cache(&self) -> Result<RepoCache, Diagnostic> {
        self.writers().map(|w| w.cache)
    }

    /// The delivery of Flux object files, committing through [`GitCache::repo_cache`].
    pub fn object_delivery(&self) -> Result<GitDelivery, Diagnostic> {
        self.writers().map(|w| w.objects)
    }

    fn writers(&self) -> Result<Writers, Diagnostic> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(writers) = slot.as_ref() {
            return Ok(writers.clone());
        }
        let cache = RepoCache::new(cache_dir())
            .map_err(|e| Diagnostic::from_error("Failed To Create The Git Cache", &e))?;
        let writers = Writers {
            objects: GitDelivery::new(cache.clone()),
            cache,
        };
        *slot = Some(writers.clone());
        Ok(writers)
    }
}

fn cache_dir() -> PathBuf {
    std::env::var_os(CACHE_DIR_VARIABLE)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("terraform-provider-flux-git"))
}

/// Whether two handles are clones of one cache (and so share its queues):
/// each cache owns its directory path, so equal addresses mean one cache.
#[cfg(test)]
pub(crate) fn same_cache(a: &RepoCache, b: &RepoCache) -> bool {
    std::ptr::eq(a.dir(), b.dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_of_a_handle_give_one_cache_and_fresh_handles_another() {
        let handle = GitCache::default();
        let first = handle.repo_cache().unwrap();
        let again = handle.clone().repo_cache().unwrap();
        assert!(same_cache(&first, &again));
        let other = GitCache::default().repo_cache().unwrap();
        assert!(!same_cache(&first, &other));
    }

    /// A Flux object asking first must not leave a bootstrap a cache of its own.
    #[test]
    fn the_object_delivery_commits_through_the_one_repo_cache() {
        let handle = GitCache::default();
        handle.object_delivery().unwrap();
        let made_for_objects = handle.writers().unwrap().cache;
        assert!(same_cache(&made_for_objects, &handle.repo_cache().unwrap()));
    }
}
