//! A scripted provider for tests of the server and of the gRPC layer: one resource
//! (`test_thing`) whose create does what [`Create`] says, and one data source
//! (`test_lookup`).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, DataReadResponse, DataSource, DeleteRequest,
    DeleteResponse, PlanContext, Provider, ReadRequest, ReadResponse, Resource,
};
use crate::schema::{Attribute, Schema};
use crate::validator::one_of;
use crate::value::Value;

/// The hooks the provider ran, in order.
pub(crate) type Calls = Arc<Mutex<Vec<&'static str>>>;

/// What the test resource's create does.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Create {
    /// Sets `id` to "made".
    Succeed,
    /// Sets `id` to "half" and reports an error, as a bootstrap that failed after
    /// pushing its manifests.
    FailPartway,
    /// Reports an error and returns no state.
    FailEmpty,
    /// Returns without setting the planned-unknown `id`.
    LeaveUnknown,
    /// Never finishes, as a wait for a cluster that never becomes ready.
    Hang,
}

pub(crate) struct TestProvider {
    pub(crate) calls: Calls,
    pub(crate) create: Create,
}

struct Thing {
    calls: Calls,
    create: Create,
}

struct Lookup;

#[async_trait]
impl Provider for TestProvider {
    type Data = ();
    fn type_name(&self) -> &'static str {
        "test"
    }
    fn version(&self) -> &'static str {
        "0.0.0"
    }
    fn schema(&self) -> Schema {
        Schema::new(vec![Attribute::string("mode").optional()])
    }
    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.attr("mode").as_str() == Some("bad") {
            diags.error("Bad Mode", "mode may not be bad");
        }
    }
    async fn configure(&self, _: ConfigureRequest, _: &mut Diagnostics) -> Option<()> {
        self.calls.lock().unwrap().push("configure");
        Some(())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        vec![Arc::new(Thing {
            calls: Arc::clone(&self.calls),
            create: self.create,
        })]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<()>>> {
        vec![Arc::new(Lookup)]
    }
}

#[async_trait]
impl Resource<()> for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }
    fn schema(&self) -> Schema {
        Schema::new(vec![
            Attribute::string("id").computed(),
            Attribute::string("name")
                .optional()
                .validate(one_of(&["a", "b", "replace", "refuse"])),
        ])
    }
    async fn validate(&self, _: &Value, diags: &mut Diagnostics) {
        diags.warning("Own Check", "the resource's own validation ran");
    }
    async fn modify_plan(&self, _: &(), plan: &mut PlanContext, diags: &mut Diagnostics) {
        self.calls.lock().unwrap().push("modify_plan");
        match plan.config.attr("name").as_str() {
            Some("replace") => plan.requires_replace.extend([
                AttributePath::attr("name"),
                AttributePath::attr("id"),
                AttributePath::attr("name"),
            ]),
            Some("refuse") => diags.error("Refused", "the resource refuses this plan"),
            _ => {}
        }
        plan.planned_private = b"planned".to_vec();
    }
    async fn create(&self, _: &(), request: ApplyRequest, response: &mut ApplyResponse) {
        self.calls.lock().unwrap().push("create");
        let name = request.planned.attr("name").clone();
        match self.create {
            Create::Succeed => response.state = thing("made", name),
            Create::FailPartway => {
                response.state = thing("half", name);
                response.private = b"half".to_vec();
                response
                    .diagnostics
                    .error("Create Failed", "it broke half-way");
            }
            Create::FailEmpty => {
                response.state = Value::Null;
                response
                    .diagnostics
                    .error("Create Failed", "it broke at once");
            }
            Create::LeaveUnknown => {}
            Create::Hang => std::future::pending::<()>().await,
        }
    }
    async fn read(&self, _: &(), request: ReadRequest, response: &mut ReadResponse) {
        self.calls.lock().unwrap().push("read");
        match request.state.attr("id").as_str() {
            Some("gone") => response.remove(),
            Some("broken") => response.diagnostics.error("Read Failed", "cannot read"),
            _ => response.private = b"read".to_vec(),
        }
    }
    async fn update(&self, _: &(), request: ApplyRequest, response: &mut ApplyResponse) {
        self.calls.lock().unwrap().push("update");
        response.state = thing("updated", request.planned.attr("name").clone());
    }
    async fn delete(&self, _: &(), request: DeleteRequest, response: &mut DeleteResponse) {
        self.calls.lock().unwrap().push("delete");
        if request.prior.attr("id").as_str() == Some("stuck") {
            response.diagnostics.error("Delete Failed", "it is stuck");
        }
    }
}

#[async_trait]
impl DataSource<()> for Lookup {
    fn type_name(&self) -> &'static str {
        "test_lookup"
    }
    fn schema(&self) -> Schema {
        Schema::new(vec![
            Attribute::string("name").required(),
            Attribute::string("value").computed(),
        ])
    }
    async fn read(&self, _: &(), config: Value, response: &mut DataReadResponse) {
        let name = config.attr("name").as_str().unwrap_or_default().to_string();
        let value = if name == "unknowable" {
            Value::unknown()
        } else {
            Value::from(format!("found {name}"))
        };
        response.state = Value::object([("name", Value::from(name)), ("value", value)]);
    }
}

pub(crate) fn thing(id: impl Into<Value>, name: impl Into<Value>) -> Value {
    Value::object([("id", id.into()), ("name", name.into())])
}
