//! Connections: sources of users, shared by the clients that enable them.
//!
//! Options are kept as JSON here; their typed shape per strategy lives in the
//! `connectors` crate, which validates them before they are stored. Secret
//! option values are stored sealed under the master key.

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub tenant_id: TenantId,
    /// `con_…`
    pub id: String,
    /// Unique within the tenant; the `connection=` parameter of `/authorize`.
    pub name: String,
    pub display_name: Option<String>,
    /// Auth0's strategy name (`auth0`, `google-oauth2`, `samlp`, …).
    pub strategy: String,
    /// Validated options, with secret values sealed.
    pub options: serde_json::Value,
    pub metadata: BTreeMap<String, String>,
    pub realms: Vec<String>,
    pub is_domain_connection: bool,
    pub show_as_button: Option<bool>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}
