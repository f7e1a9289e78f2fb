//! The consent step: a third-party application (or `prompt=consent`) asks
//! the signed-in user to allow the scopes the grant would carry.

use super::dispatch::Step;
use super::form_targets;
use super::login_page::consent_scopes;
use super::outcome::{ConsentView, Outcome, Status, View};
use super::request::{AuthorizeError, server_error_page};
use super::transaction::OpenTransaction;
use crate::Engine;
use crate::error::Result;
use crate::token::oauth_error::{ErrorCode, OAuthError};
use model::{LoginTransaction, Tenant};

/// The consent page; before a login, the login page instead.
pub(crate) async fn page(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
) -> Result<Outcome> {
    if open.transaction.user_id.is_none() {
        return Ok(Outcome::Step(Step::Login {
            transaction_id: open.transaction.id.clone(),
        }));
    }
    let view = ConsentView {
        client_name: open.client.name.clone(),
        scopes: consent_scopes(engine, tenant, open).await?,
        state: open.transaction.id.clone(),
    };
    Ok(Outcome::render(
        Status::Ok,
        View::Consent(view),
        form_targets::for_transaction(open),
    ))
}

/// Records the user's consent decision. A refusal ends the transaction with
/// `access_denied` to the client.
pub(crate) async fn decide(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    accepted: bool,
) -> Outcome {
    match record(engine, tenant, open, accepted).await {
        Ok(()) => Outcome::Resume {
            transaction_id: open.transaction.id.clone(),
            session: None,
        },
        Err(error) => Outcome::Fail(error),
    }
}

async fn record(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    accepted: bool,
) -> std::result::Result<(), AuthorizeError> {
    if !accepted {
        let _ = engine
            .storage
            .consume_transaction(&tenant.id, &open.transaction.id, engine.now())
            .await;
        return Err(AuthorizeError::redirect(
            &open.request,
            OAuthError::new(ErrorCode::AccessDenied, "The user refused consent"),
        ));
    }
    if open.transaction.user_id.is_none() {
        return Err(AuthorizeError::Untrusted("Sign in first".into()));
    }
    engine
        .storage
        .update_transaction(
            &tenant.id,
            &open.transaction.id,
            &|mut t: LoginTransaction| {
                t.consent_given = true;
                Ok(t)
            },
        )
        .await
        .map_err(server_error_page)?;
    Ok(())
}
