//! Home-realm discovery for the identifier-first login page (the tenant's
//! `identifier_first` prompt setting): the domain of the typed email picks
//! the enterprise connection that lists it in `domain_aliases`, among the
//! connections the login page offers (enabled for the client, and the one
//! named by `connection=` if any).
//!
//! The decision depends on the identifier's domain and the connections'
//! configuration only, never on whether a user exists, so the answer (and
//! its timing) reveals no account.

use super::transaction::{OpenTransaction, page_connections};
use crate::error::Result;
use crate::{Engine, login::database_users};
use connectors::{Category, Strategy};
use model::{Connection, Tenant};
use serde_json::Value;

/// The lowercased domain of an email address (`alice@Corp.Example` →
/// `corp.example`); `None` for a username or anything else.
pub fn email_domain(identifier: &str) -> Option<String> {
    let (local, domain) = identifier.trim().rsplit_once('@')?;
    let valid = !local.is_empty()
        && !domain.is_empty()
        && domain.len() <= 253
        && !domain.chars().any(|c| c.is_whitespace() || c.is_control());
    valid.then(|| domain.to_ascii_lowercase())
}

/// The `domain_aliases` of an enterprise connection (empty for any other
/// category: a social or database connection is never a home realm).
pub fn domain_aliases(connection: &Connection) -> Vec<String> {
    let enterprise = Strategy::parse(&connection.strategy)
        .is_some_and(|strategy| strategy.category() == Category::Enterprise);
    if !enterprise {
        return Vec::new();
    }
    connection
        .options
        .get("domain_aliases")
        .and_then(Value::as_array)
        .map(|aliases| {
            aliases
                .iter()
                .filter_map(Value::as_str)
                .map(|alias| alias.trim().to_ascii_lowercase())
                .filter(|alias| !alias.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Where the identifier-first page sends a typed identifier.
#[derive(Debug)]
pub enum Route {
    /// The page is not identifier-first (the tenant setting is off, or no
    /// connection of this login takes an identifier): show the whole form.
    NotIdentifierFirst,
    /// Nothing was typed.
    MissingIdentifier,
    /// The enterprise connection whose `domain_aliases` list the domain.
    Enterprise(Box<Connection>),
    /// The password step of the database connection.
    Password,
    /// No connection of this login takes this identifier.
    Nowhere,
}

/// Whether a login page over these connections asks for the identifier
/// first: the tenant's `identifier_first` setting, and somewhere to send an
/// identifier (a database connection, or an enterprise connection with
/// `domain_aliases`).
pub fn identifier_first(tenant: &Tenant, connections: &[Connection]) -> bool {
    tenant.prompts.identifier_first
        && connections
            .iter()
            .any(|c| database_users::is_database(c) || !domain_aliases(c).is_empty())
}

/// The route of `identifier` in this transaction: exact, case-insensitive
/// domain match; the first connection by name wins if several list it.
pub async fn route(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    identifier: &str,
) -> Result<Route> {
    let connections = page_connections(engine, tenant, open).await?;
    if !identifier_first(tenant, &connections) {
        return Ok(Route::NotIdentifierFirst);
    }
    let identifier = identifier.trim();
    if identifier.is_empty() {
        return Ok(Route::MissingIdentifier);
    }
    let realm = email_domain(identifier).and_then(|domain| {
        connections
            .iter()
            .filter(|c| !database_users::is_database(c))
            .filter(|c| domain_aliases(c).contains(&domain))
            .min_by(|a, b| a.name.cmp(&b.name))
            .cloned()
    });
    Ok(match realm {
        Some(connection) => Route::Enterprise(Box::new(connection)),
        None if connections.iter().any(database_users::is_database) => Route::Password,
        None => Route::Nowhere,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_email_addresses_have_a_domain() {
        assert_eq!(
            email_domain(" alice@Corp.Example ").as_deref(),
            Some("corp.example")
        );
        assert_eq!(
            email_domain("a@b@corp.example").as_deref(),
            Some("corp.example")
        );
        for none in ["alice", "@corp.example", "alice@", "", "a@corp example"] {
            assert_eq!(email_domain(none), None, "{none}");
        }
    }
}
