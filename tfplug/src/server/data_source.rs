//! The data source RPCs: validate and read.

use super::{check_known, validate_attributes, Outcome, Server};
use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::provider::{DataReadResponse, Provider};
use crate::value::Value;

impl<P: Provider> Server<P> {
    /// ValidateDataResourceConfig.
    pub(crate) async fn validate_data_source(&self, type_name: &str, config: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let Some(entry) = self.data_source(type_name, &mut diags) else {
            return diags;
        };
        diags.extend(validate_attributes(&entry.schema.block, &config));
        let mut own = Diagnostics::new();
        entry.handler.validate(&config, &mut own).await;
        diags.extend(own);
        diags
    }

    /// ReadDataSource.
    pub(crate) async fn read_data_source(&self, type_name: &str, config: Value) -> Outcome<Value> {
        let mut diags = Diagnostics::new();
        let result = self.read_data_into(type_name, config, &mut diags).await;
        Outcome::new(result, diags)
    }

    async fn read_data_into(
        &self,
        type_name: &str,
        config: Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let entry = self.data_source(type_name, diags)?;
        let data = self.data(diags).await?;
        let mut response = DataReadResponse {
            state: config.clone(),
            diagnostics: Diagnostics::new(),
        };
        let work = entry.handler.read(&data, config, &mut response);
        self.cancellable(work, diags).await?;
        diags.extend(response.diagnostics);
        if diags.has_errors() {
            return None;
        }
        check_known(&response.state, &AttributePath::root(), diags);
        Some(response.state)
    }
}
