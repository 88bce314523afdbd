//! The `images` field: rewrite container image names, tags and digests.

use serde_json::Value;

use super::Resource;
use crate::manifests::kustomization::ImageRule;

const IMAGE_PATHS: [&[&str]; 4] = [
    &["spec", "containers"],
    &["spec", "initContainers"],
    &["spec", "template", "spec", "containers"],
    &["spec", "template", "spec", "initContainers"],
];

pub(crate) fn apply_image_rule(resources: &mut [Resource], rule: &ImageRule) {
    let pattern = &rule.pattern;
    for resource in resources {
        if resource.value.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition") {
            continue;
        }
        for path in IMAGE_PATHS {
            let pointer = format!("/{}", path.join("/"));
            let Some(Value::Array(containers)) = resource.value.pointer_mut(&pointer) else {
                continue;
            };
            for container in containers {
                if let Some(Value::String(image)) = container.get_mut("image") {
                    // kustomize v5 runs each image rule twice over the same fields, which
                    // shows only with `tagSuffix` (added twice); mirror it.
                    for _ in 0..2 {
                        if pattern.is_match(image) {
                            *image = rewrite(image, rule);
                        }
                    }
                }
            }
        }
    }
}

fn rewrite(image: &str, rule: &ImageRule) -> String {
    let (mut name, mut tag, mut digest) = split_image(image);
    if let Some(new_name) = &rule.new_name {
        name = new_name.clone();
    }
    match (&rule.new_tag, &rule.digest, &rule.tag_suffix) {
        (Some(t), Some(d), _) => {
            tag = t.clone();
            digest = d.clone();
        }
        (Some(t), None, _) => {
            tag = t.clone();
            digest.clear();
        }
        (None, Some(d), _) => {
            tag.clear();
            digest = d.clone();
        }
        (None, None, Some(suffix)) => {
            tag.push_str(suffix);
            digest.clear();
        }
        (None, None, None) => {}
    }
    let mut out = name;
    if !tag.is_empty() {
        out.push(':');
        out.push_str(&tag);
    }
    if !digest.is_empty() {
        out.push('@');
        out.push_str(&digest);
    }
    out
}

/// Splits `name[:tag][@digest]`, where a `:` before the first `/` is a registry port.
fn split_image(image: &str) -> (String, String, String) {
    let slash = image.find('/').filter(|&i| i > 0).unwrap_or(0);
    let search = &image[slash..];
    let at = search.find('@').map(|i| i + slash);
    let colon = search.find(':').map(|i| i + slash);
    match (colon, at) {
        (None, None) => (image.to_string(), String::new(), String::new()),
        (c, Some(a)) if c.is_none_or(|c| a < c) => (
            image[..a].to_string(),
            String::new(),
            image[a + 1..].to_string(),
        ),
        (Some(c), Some(a)) => (
            image[..c].to_string(),
            image[c + 1..a].to_string(),
            image[a + 1..].to_string(),
        ),
        (Some(c), None) => (
            image[..c].to_string(),
            image[c + 1..].to_string(),
            String::new(),
        ),
        (None, Some(_)) => (image.to_string(), String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::split_image;

    #[test]
    fn split_image_handles_ports_tags_and_digests() {
        let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(split_image("nginx"), s("nginx", "", ""));
        assert_eq!(split_image("nginx:1.2"), s("nginx", "1.2", ""));
        assert_eq!(split_image("r:5000/a/b:t"), s("r:5000/a/b", "t", ""));
        assert_eq!(split_image("a/b@sha256:ab"), s("a/b", "", "sha256:ab"));
        assert_eq!(split_image("a/b:t@sha256:ab"), s("a/b", "t", "sha256:ab"));
    }
}
