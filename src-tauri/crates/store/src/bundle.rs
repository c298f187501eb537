//! Writing a whole bundle at once: every item or none.

use hookboard_engine::model::Bundle;

use crate::Store;
use crate::error::Result;

impl Store {
    /// Writes every item of an (already validated) bundle in one transaction, replacing items
    /// with the same name; each workflow gets a new revision. On any error nothing is written.
    pub fn import_bundle(&self, bundle: &Bundle) -> Result<()> {
        self.with_tx(|tx| {
            for definition in &bundle.event_definitions {
                crate::records::upsert_event_definition_on(tx, definition)?;
            }
            for connector in &bundle.connectors {
                crate::records::upsert_connector_on(tx, connector)?;
            }
            for webhook in &bundle.webhooks {
                crate::webhooks::upsert_on(tx, webhook)?;
            }
            for environment in &bundle.environments {
                crate::records::upsert_environment_on(tx, environment)?;
            }
            for workflow in &bundle.workflows {
                crate::workflows::save_on(tx, workflow)?;
            }
            Ok(())
        })
    }
}
