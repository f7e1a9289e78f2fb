//! The login state machine of the hosted pages. Each page shows
//! ([`show`]) or submits ([`submit`]) one step of a login transaction —
//! identifier (home-realm discovery), first factor (password, signup,
//! upstream), consent — in one call, and gets back an [`Outcome`]: a page
//! to render, a redirect, or the return to [`super::dispatch`], which
//! decides what follows (another step, or the answer to the client). A new
//! step (MFA after the first factor, a one-time code) is one more
//! [`Submission`] and [`PageName`] here.

use super::consent;
use super::first_factor;
use super::outcome::{Context, Outcome, PageName, SignupForm, Status, Submission};
use super::transaction::open_transaction;
use super::views::{self, LoginState};
use crate::Engine;
use crate::login::login_events::{self, Origin};
use crate::login::upstream::{self, CallbackError};
use model::Tenant;
use std::collections::BTreeMap;

/// Shows a page of the transaction `transaction_id`.
pub async fn show(
    engine: &Engine,
    tenant: &Tenant,
    transaction_id: &str,
    page: PageName,
    context: Context<'_>,
) -> Outcome {
    let open = match open_transaction(engine, tenant, transaction_id, context.browser_cookie).await
    {
        Ok(open) => open,
        Err(error) => return error.into(),
    };
    let shown = match page {
        PageName::Login => {
            views::login(engine, tenant, &open, Status::Ok, LoginState::default()).await
        }
        PageName::Signup => {
            let form = SignupForm::default();
            views::signup(engine, tenant, &open, Status::Ok, None, &form).await
        }
        PageName::Consent => consent::page(engine, tenant, &open).await,
    };
    shown.unwrap_or_else(Outcome::Failed)
}

/// Runs the step a page's form submits for the transaction `transaction_id`.
pub async fn submit(
    engine: &Engine,
    tenant: &Tenant,
    transaction_id: &str,
    submission: Submission,
    context: Context<'_>,
) -> Outcome {
    let open = match open_transaction(engine, tenant, transaction_id, context.browser_cookie).await
    {
        Ok(open) => open,
        Err(error) => return error.into(),
    };
    let ip = context.ip;
    let done = match submission {
        Submission::Identifier { identifier } => {
            first_factor::identifier(engine, tenant, &open, &identifier).await
        }
        Submission::Password {
            username,
            password,
            connection,
        } => {
            let chosen = connection.as_deref();
            first_factor::password(engine, tenant, &open, &username, &password, chosen, ip).await
        }
        Submission::Signup(form) => first_factor::signup(engine, tenant, &open, form, ip).await,
        Submission::Connection { name } => {
            first_factor::connection_button(engine, tenant, &open, &name).await
        }
        Submission::Consent { accepted } => {
            return consent::decide(engine, tenant, &open, accepted).await;
        }
    };
    done.unwrap_or_else(Outcome::Failed)
}

/// The upstream provider sent the browser back (`/login/callback`): the
/// first factor of an upstream login, completed like a password login.
pub async fn upstream_returned(
    engine: &Engine,
    tenant: &Tenant,
    params: &BTreeMap<String, String>,
    context: Context<'_>,
) -> Outcome {
    let identified = match upstream::callback(
        engine,
        tenant,
        params,
        context.browser_cookie,
        context.ip,
    )
    .await
    {
        Ok(identified) => identified,
        Err(CallbackError::Page(message)) => {
            return Outcome::error(Status::BadRequest, "Sign-in failed", message);
        }
        Err(CallbackError::Authorize(error)) => return Outcome::Fail(error),
        Err(CallbackError::Engine(error)) => return Outcome::Failed(error),
    };
    let upstream::Identified {
        open,
        user,
        connection,
    } = identified;
    let done = first_factor::logged_in(engine, tenant, &open, &user, &connection, &[]).await;
    if done.is_ok() {
        let origin = Origin {
            client: &open.client,
            ip: context.ip,
        };
        login_events::upstream_login(engine, &tenant.id, origin, &connection, &user).await;
    }
    done.unwrap_or_else(Outcome::Failed)
}
