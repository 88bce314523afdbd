//! `source.toolkit.fluxcd.io/v1` Bucket: objects of an S3-compatible, GCS or Azure bucket.

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{
    duration, flag, local_ref, name_of, never_static, no_derived_defaults, path_of, SUSPEND,
};
use super::KindDef;
use crate::objects::error::{FieldError, FieldPath};
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldType};
use Check::{Name, OneOf, Prefix};
use DefaultValue::Str;
use FieldType::Object;

const STS: &[FieldDef] = &[
    FieldDef::string(field!("provider"), "`aws` or `ldap`.")
        .required()
        .check(OneOf(&["aws", "ldap"])),
    FieldDef::string(field!("endpoint"), "Security token service endpoint.")
        .required()
        .check(Prefix(&["http://", "https://"])),
    local_ref(
        field!("secretRef"),
        "Secret with the STS credentials (ldap).",
    ),
    local_ref(
        field!("certSecretRef"),
        "Secret with the STS TLS settings (ldap).",
    ),
];

const BUCKET_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::string(
        field!("provider"),
        "Storage provider. Flux's `provider`, renamed because `provider` is a reserved name.",
    )
    .default(Str("generic"))
    .written()
    .check(OneOf(&["generic", "aws", "gcp", "azure"])),
    FieldDef::string(field!("bucketName"), "Bucket name.").required(),
    FieldDef::string(
        field!("endpoint"),
        "Storage endpoint (host, without scheme).",
    )
    .required(),
    flag(field!("insecure"), "Whether plain HTTP is used."),
    FieldDef::string(field!("region"), "Bucket region."),
    FieldDef::string(field!("prefix"), "Object key prefix to download."),
    local_ref(
        field!("secretRef"),
        "Secret with `accesskey` and `secretkey` (or the provider's keys).",
    ),
    local_ref(
        field!("certSecretRef"),
        "Secret with `ca.crt`, `tls.crt` and `tls.key`.",
    ),
    local_ref(field!("proxySecretRef"), "Secret with the proxy settings."),
    FieldDef::string(
        field!("serviceAccountName"),
        "ServiceAccount for workload identity (not with provider generic).",
    )
    .check(Name),
    FieldDef::typed(
        field!("sts"),
        Object(STS),
        "Security token service (providers aws and generic).",
    ),
    duration(field!("interval"), "How often the bucket is checked.")
        .default(Str("1m0s"))
        .written(),
    duration(field!("timeout"), "Timeout of bucket operations.").default(Str("60s")),
    FieldDef::string(
        field!("ignore"),
        "Paths to leave out of the artifact, in `.sourceignore` syntax.",
    ),
    SUSPEND,
]);

fn bucket_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let provider = spec
        .get("provider")
        .and_then(Value::as_str)
        .unwrap_or("generic");
    if spec.contains_key("serviceAccountName") {
        if spec.contains_key("secretRef") {
            errors.push(FieldError::new(
                FieldPath::field(name_of(BUCKET_FIELDS, "serviceAccountName")),
                "cannot be set together with secret_ref",
            ));
        }
        if provider == "generic" {
            errors.push(FieldError::new(
                FieldPath::field(name_of(BUCKET_FIELDS, "serviceAccountName")),
                "is not allowed with provider generic",
            ));
        }
    }
    if let Some(sts) = spec.get("sts") {
        let sts_provider = sts
            .get("provider")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match provider {
            "aws"
                if sts_provider != "aws"
                    || sts.get("secretRef").is_some()
                    || sts.get("certSecretRef").is_some() =>
            {
                errors.push(FieldError::new(
                    FieldPath::field(name_of(BUCKET_FIELDS, "sts")),
                    "provider aws needs sts provider aws without secret_ref or cert_secret_ref",
                ))
            }
            "generic" if sts_provider != "ldap" => errors.push(FieldError::new(
                path_of(BUCKET_FIELDS, &["sts", "provider"]),
                "provider generic needs sts provider ldap",
            )),
            "aws" | "generic" => {}
            other => errors.push(FieldError::new(
                FieldPath::field(name_of(BUCKET_FIELDS, "sts")),
                format!("is not supported with provider {other}"),
            )),
        }
    }
    errors
}

/// `source.toolkit.fluxcd.io/v1` Bucket.
pub static BUCKET: KindDef = KindDef {
    api_version: "source.toolkit.fluxcd.io/v1",
    kind: "Bucket",
    fields: BUCKET_FIELDS,
    rules: bucket_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    fn base() -> Value {
        json!({"bucketName": "b", "endpoint": "minio:9000"})
    }

    #[test]
    fn valid_specs_pass() {
        assert!(error_paths(&BUCKET, base()).is_empty());
        let mut aws = base();
        aws["provider"] = json!("aws");
        aws["serviceAccountName"] = json!("sa");
        aws["sts"] = json!({"provider": "aws", "endpoint": "https://sts.amazonaws.com"});
        assert!(error_paths(&BUCKET, aws).is_empty());
        let mut ldap = base();
        ldap["sts"] =
            json!({"provider": "ldap", "endpoint": "https://ldap", "secretRef": {"name": "s"}});
        assert!(error_paths(&BUCKET, ldap).is_empty());
    }

    #[test]
    fn service_account_excludes_secret_ref_and_generic() {
        let mut spec = base();
        spec["serviceAccountName"] = json!("sa");
        spec["secretRef"] = json!({"name": "keys"});
        assert_eq!(
            error_texts(&BUCKET, spec),
            [
                "service_account_name: cannot be set together with secret_ref",
                "service_account_name: is not allowed with provider generic"
            ]
        );
    }

    #[test]
    fn sts_must_match_the_provider() {
        let mut aws = base();
        aws["provider"] = json!("aws");
        aws["sts"] = json!({"provider": "ldap", "endpoint": "https://sts"});
        assert_eq!(error_paths(&BUCKET, aws), ["sts"]);
        let mut generic = base();
        generic["sts"] = json!({"provider": "aws", "endpoint": "https://sts"});
        assert_eq!(
            error_texts(&BUCKET, generic),
            ["sts.provider: provider generic needs sts provider ldap"]
        );
        let mut gcp = base();
        gcp["provider"] = json!("gcp");
        gcp["sts"] = json!({"provider": "aws", "endpoint": "https://sts"});
        assert_eq!(
            error_texts(&BUCKET, gcp),
            ["sts: is not supported with provider gcp"]
        );
    }
}
