//! Where the forms of a login transaction's pages may lead. Browsers apply a
//! page's CSP `form-action` to every redirect that follows a form's POST, so
//! a page must name each destination its forms can end at: the application's
//! redirect URI (the answer, or an error) and, for the identifier step, the
//! upstream login pages that home-realm discovery sends a browser to.

use super::login_page::LoginPage;
use super::transaction::{OpenTransaction, page_connections};
use crate::Engine;
use model::Tenant;

/// The URLs the forms of a transaction's signup and consent pages may end at
/// besides this site: the application's redirect URI.
pub fn for_transaction(open: &OpenTransaction) -> Vec<String> {
    vec![open.request.redirect_uri.clone()]
}

/// The URLs the login page's forms may end at besides this site. On the
/// identifier step these include the authorization endpoints of the
/// connections reached by email domain; one whose endpoint cannot be found
/// now is left out (its login would fail at the upstream anyway).
pub async fn for_login_page(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    page: &LoginPage,
) -> Vec<String> {
    let mut targets = for_transaction(open);
    if !page.identifier_first {
        return targets;
    }
    let home_realm: Vec<&str> = page
        .other_connections
        .iter()
        .filter(|c| c.home_realm)
        .map(|c| c.name.as_str())
        .collect();
    if home_realm.is_empty() {
        return targets;
    }
    // The page's connections in one read, not one lookup per button.
    let connections = match page_connections(engine, tenant, open).await {
        Ok(connections) => connections,
        Err(error) => {
            tracing::warn!(%error, "connections not readable for form-action");
            return targets;
        }
    };
    for connection in connections
        .iter()
        .filter(|c| home_realm.contains(&c.name.as_str()) && crate::login::upstream::is_redirect(c))
    {
        match crate::login::upstream::authorization_endpoint(engine, tenant, connection).await {
            Ok(url) => targets.push(url),
            Err(error) => {
                tracing::warn!(connection = %connection.name, %error, "no authorization endpoint for form-action");
            }
        }
    }
    targets
}
