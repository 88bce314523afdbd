//! Flux bootstrapping backend: install and sync manifests, git and cluster engines.
