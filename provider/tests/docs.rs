//! `docs/` is generated from the schemas, the guides in `templates/` and the files in
//! `examples/`; this test fails when they drift apart. Regenerate with
//! `UPDATE_DOCS=1 cargo test -p terraform-provider-flux --test docs`.

use std::path::{Path, PathBuf};

use terraform_provider_flux::docs::{render, Kind, Page};
use terraform_provider_flux::FluxProvider;
use tfplug::Provider as _;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// An example every page must have: a missing one fails instead of rendering a page
/// without its example.
#[expect(
    clippy::panic,
    reason = "test helper: a missing example fails the test"
)]
fn example(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (every page shows an example)", path.display()))
}

fn pages() -> Vec<Page> {
    let provider = FluxProvider::new();
    let root = root();
    let mut pages = vec![render(
        Kind::Provider,
        "flux",
        &provider.schema(),
        &read(&root.join("templates/index.md")),
        &example(&root.join("examples/provider/provider.tf")),
    )];
    for r in provider.resources() {
        let name = r.type_name();
        let stem = name.trim_start_matches("flux_");
        pages.push(render(
            Kind::Resource,
            name,
            &r.schema(),
            &read(&root.join(format!("templates/resources/{stem}.md"))),
            &example(&root.join(format!("examples/resources/{name}/resource.tf"))),
        ));
    }
    for d in provider.data_sources() {
        let name = d.type_name();
        let stem = name.trim_start_matches("flux_");
        pages.push(render(
            Kind::DataSource,
            name,
            &d.schema(),
            &read(&root.join(format!("templates/data-sources/{stem}.md"))),
            &example(&root.join(format!("examples/data-sources/{name}/data-source.tf"))),
        ));
    }
    // Guides are hand-written pages, published as they are.
    let mut guides: Vec<PathBuf> = std::fs::read_dir(root.join("templates/guides"))
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    guides.sort();
    for guide in guides {
        if let Some(name) = guide.file_name().and_then(|n| n.to_str()) {
            pages.push(Page {
                path: format!("guides/{name}"),
                text: read(&guide),
            });
        }
    }
    pages
}

#[test]
fn docs_match_the_schemas() {
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for page in pages() {
        let path = root().join("docs").join(&page.path);
        if read(&path) != page.text {
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &page.text).unwrap();
            } else {
                stale.push(page.path);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs out of date: {stale:?}; run UPDATE_DOCS=1 cargo test -p terraform-provider-flux --test docs"
    );
}

#[test]
fn every_example_names_a_real_type() {
    let provider = FluxProvider::new();
    let mut known: Vec<String> = provider
        .resources()
        .iter()
        .map(|r| r.type_name().to_string())
        .collect();
    known.extend(
        provider
            .data_sources()
            .iter()
            .map(|d| d.type_name().to_string()),
    );
    for kind in ["resources", "data-sources"] {
        let Ok(entries) = std::fs::read_dir(root().join("examples").join(kind)) else {
            continue;
        };
        for entry in entries {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                known.contains(&name),
                "examples/{kind}/{name} documents no type of this provider"
            );
        }
    }
}
