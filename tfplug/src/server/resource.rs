//! The managed-resource RPCs: validate, upgrade, read, plan, apply and import.

use super::{check_known, validate_attributes, Outcome, Server, Stored};
use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::plan::plan_block;
use crate::provider::{
    ApplyRequest, ApplyResponse, DeleteRequest, DeleteResponse, ImportResponse, PlanContext,
    Provider, ReadRequest, ReadResponse, UpgradeResponse,
};
use crate::value::Value;

/// PlanResourceChange's input.
#[derive(Clone, Debug)]
pub(crate) struct PlanRequest {
    /// The prior state; null on create.
    pub(crate) prior: Value,
    /// What Terraform proposes; null on destroy.
    pub(crate) proposed: Value,
    /// The configuration; null on destroy.
    pub(crate) config: Value,
    /// Private state from the prior state.
    pub(crate) prior_private: Vec<u8>,
}

/// A planned change.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PlannedChange {
    /// The planned state; null on destroy.
    pub(crate) planned: Value,
    /// Attributes whose change forces a replacement, sorted and deduplicated.
    pub(crate) requires_replace: Vec<AttributePath>,
    /// Private state to hand to apply.
    pub(crate) planned_private: Vec<u8>,
}

impl<P: Provider> Server<P> {
    /// ValidateResourceConfig.
    pub(crate) async fn validate_resource(&self, type_name: &str, config: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let Some(entry) = self.resource(type_name, &mut diags) else {
            return diags;
        };
        diags.extend(validate_attributes(&entry.schema.block, &config));
        let mut own = Diagnostics::new();
        entry.handler.validate(&config, &mut own).await;
        diags.extend(own);
        diags
    }

    /// UpgradeResourceState, from the state JSON Terraform stored.
    pub(crate) fn upgrade_resource(
        &self,
        type_name: &str,
        version: i64,
        state_json: &[u8],
    ) -> Outcome<Value> {
        let mut diags = Diagnostics::new();
        let Some(entry) = self.resource(type_name, &mut diags) else {
            return Outcome::new(None, diags);
        };
        if state_json.is_empty() {
            diags.error(
                "Unsupported State Format",
                "The stored state is in the legacy flatmap format, which this provider never wrote.",
            );
            return Outcome::new(None, diags);
        }
        let mut response = UpgradeResponse::default();
        entry
            .handler
            .upgrade_state(version, state_json, &mut response);
        diags.extend(response.diagnostics);
        let result = (!diags.has_errors()).then_some(response.state);
        Outcome::new(result, diags)
    }

    /// ReadResource. No result means Terraform keeps the state it sent.
    pub(crate) async fn read_resource(
        &self,
        type_name: &str,
        request: ReadRequest,
    ) -> Outcome<Stored> {
        let mut diags = Diagnostics::new();
        let result = self.read_into(type_name, request, &mut diags).await;
        Outcome::new(result, diags)
    }

    async fn read_into(
        &self,
        type_name: &str,
        request: ReadRequest,
        diags: &mut Diagnostics,
    ) -> Option<Stored> {
        let entry = self.resource(type_name, diags)?;
        let data = self.data(diags).await?;
        let mut response = ReadResponse {
            state: request.state.clone(),
            private: request.private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let work = entry.handler.read(&data, request, &mut response);
        self.cancellable(work, diags).await?;
        diags.extend(response.diagnostics);
        if diags.has_errors() {
            return None;
        }
        check_known(&response.state, &AttributePath::root(), diags);
        Some(Stored {
            state: response.state,
            private: response.private,
        })
    }

    /// PlanResourceChange: tfplug's plan pipeline, then the resource's `modify_plan`.
    pub(crate) async fn plan_resource(
        &self,
        type_name: &str,
        request: PlanRequest,
    ) -> Outcome<PlannedChange> {
        let mut diags = Diagnostics::new();
        let result = self.plan_into(type_name, request, &mut diags).await;
        Outcome::new(result, diags)
    }

    async fn plan_into(
        &self,
        type_name: &str,
        request: PlanRequest,
        diags: &mut Diagnostics,
    ) -> Option<PlannedChange> {
        let entry = self.resource(type_name, diags)?;
        let (planned, requires_replace) = if request.proposed.is_null() {
            (Value::Null, Vec::new())
        } else {
            let planned = plan_block(
                &entry.schema.block,
                &request.prior,
                &request.config,
                &request.proposed,
            );
            (planned.planned, planned.requires_replace)
        };
        let mut plan = PlanContext {
            prior: request.prior,
            config: request.config,
            planned,
            requires_replace,
            planned_private: request.prior_private.clone(),
            prior_private: request.prior_private,
        };
        // A destroy plan from Terraform 1.0 comes before any configure; the
        // resource's hook then has nothing to work with and is skipped.
        let data = if plan.is_destroy() {
            self.configured().await
        } else {
            self.data(diags).await
        };
        if let Some(data) = data {
            let mut own = Diagnostics::new();
            let work = entry.handler.modify_plan(&data, &mut plan, &mut own);
            if self.cancellable(work, diags).await.is_some() {
                diags.extend(own);
            }
        }
        if diags.has_errors() {
            return None;
        }
        plan.requires_replace.sort();
        plan.requires_replace.dedup();
        let planned = if plan.is_destroy() {
            Value::Null
        } else {
            plan.planned
        };
        Some(PlannedChange {
            planned,
            requires_replace: plan.requires_replace,
            planned_private: plan.planned_private,
        })
    }

    /// ApplyResourceChange: a null plan deletes, a null prior creates, anything else
    /// updates. No result means Terraform keeps the prior state.
    pub(crate) async fn apply_resource(
        &self,
        type_name: &str,
        request: ApplyRequest,
    ) -> Outcome<Stored> {
        let mut diags = Diagnostics::new();
        let result = self.apply_into(type_name, request, &mut diags).await;
        Outcome::new(result, diags)
    }

    async fn apply_into(
        &self,
        type_name: &str,
        request: ApplyRequest,
        diags: &mut Diagnostics,
    ) -> Option<Stored> {
        let entry = self.resource(type_name, diags)?;
        let data = self.data(diags).await?;
        if request.planned.is_null() {
            let request = DeleteRequest {
                prior: request.prior,
                private: request.planned_private,
            };
            let mut response = DeleteResponse::default();
            let work = entry.handler.delete(&data, request, &mut response);
            self.cancellable(work, diags).await?;
            diags.extend(response.diagnostics);
            return (!diags.has_errors()).then(|| Stored {
                state: Value::Null,
                private: Vec::new(),
            });
        }
        let creating = request.prior.is_null();
        let mut response = ApplyResponse {
            state: request.planned.clone(),
            private: request.planned_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let work = async {
            if creating {
                entry.handler.create(&data, request, &mut response).await;
            } else {
                entry.handler.update(&data, request, &mut response).await;
            }
        };
        self.cancellable(work, diags).await?;
        diags.extend(std::mem::take(&mut response.diagnostics));
        if !diags.has_errors() {
            check_known(&response.state, &AttributePath::root(), diags);
        }
        // A failed create may still return what it made, so that Terraform keeps
        // it (tainted) instead of losing track of it.
        let keep = !response.state.is_null() && response.state.is_wholly_known();
        keep.then_some(Stored {
            state: response.state,
            private: response.private,
        })
    }

    /// ImportResourceState.
    pub(crate) async fn import_resource(&self, type_name: &str, id: &str) -> Outcome<Stored> {
        let mut diags = Diagnostics::new();
        let result = self.import_into(type_name, id, &mut diags).await;
        Outcome::new(result, diags)
    }

    async fn import_into(
        &self,
        type_name: &str,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Stored> {
        let entry = self.resource(type_name, diags)?;
        let data = self.data(diags).await?;
        let mut response = ImportResponse::default();
        let work = entry.handler.import(&data, id, &mut response);
        self.cancellable(work, diags).await?;
        diags.extend(response.diagnostics);
        if diags.has_errors() {
            return None;
        }
        Some(Stored {
            state: response.state,
            private: response.private,
        })
    }
}
