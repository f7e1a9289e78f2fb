//! The login and signup pages of a transaction, with what a step puts on
//! them (an error, the identifier typed so far).

use super::form_targets;
use super::login_page::{database_connection, login_page};
use super::outcome::{LoginView, Outcome, SignupForm, SignupView, Status, View};
use super::transaction::OpenTransaction;
use crate::Engine;
use crate::error::Result;
use crate::login::password_policy::PasswordPolicy;
use model::Tenant;

/// What the login form shows besides the page's connections.
#[derive(Default)]
pub(crate) struct LoginState<'a> {
    pub error: Option<&'a str>,
    pub username: &'a str,
    pub connection: Option<&'a str>,
    /// The second step of identifier-first (after the identifier, or a
    /// failed password): the identifier is kept, the password asked.
    pub password_step: bool,
}

pub(crate) async fn login(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    status: Status,
    state: LoginState<'_>,
) -> Result<Outcome> {
    let page = login_page(engine, tenant, open).await?;
    // Without identifier-first there is one step: the whole form.
    let step = match (page.identifier_first, state.password_step) {
        (false, _) => None,
        (true, false) => Some("identifier"),
        (true, true) => Some("password"),
    };
    let targets = form_targets::for_login_page(engine, tenant, open, &page).await;
    let view = LoginView {
        page,
        state: open.transaction.id.clone(),
        error: state.error.map(str::to_owned),
        username: state.username.to_owned(),
        selected_connection: state.connection.map(str::to_owned),
        step,
    };
    Ok(Outcome::render(status, View::Login(view), targets))
}

pub(crate) async fn signup(
    engine: &Engine,
    tenant: &Tenant,
    open: &OpenTransaction,
    status: Status,
    error: Option<&str>,
    form: &SignupForm,
) -> Result<Outcome> {
    let page = login_page(engine, tenant, open).await?;
    if !page.signup_allowed {
        return Ok(Outcome::error(
            Status::Forbidden,
            "Sign up is not available",
            "Sign up is disabled for this application.",
        ));
    }
    let policy = match database_connection(engine, tenant, open, form.connection.as_deref()).await {
        Ok(Some(connection)) => Some(PasswordPolicy::from_options(&connection.options).describe()),
        _ => None,
    };
    let view = SignupView {
        page,
        state: open.transaction.id.clone(),
        error: error.map(str::to_owned),
        email: form.email.clone(),
        username: form.username.clone(),
        selected_connection: form.connection.clone(),
        policy,
    };
    Ok(Outcome::render(
        status,
        View::Signup(view),
        form_targets::for_transaction(open),
    ))
}
