//! Logout: Auth0's `/v2/logout` and OIDC RP-Initiated Logout 1.0
//! (`/oidc/logout`). Redirects only ever go to a URL the client registered
//! in `allowed_logout_urls`, or, for `/v2/logout` without `client_id`, one
//! the tenant's settings list (as Auth0 does).

use crate::token::verify::{OwnJwtError, unverified_audience, verify_own_jwt};
use crate::{Engine, EngineError, login::sessions};
use model::Tenant;

/// Where the browser goes after logout; `None` shows Vestibule's own page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedOut {
    pub redirect: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

async fn allowed(
    engine: &Engine,
    tenant: &Tenant,
    client_id: &str,
    url: &str,
) -> Result<bool, LogoutError> {
    let client = engine
        .storage
        .get_client(&tenant.id, client_id)
        .await
        .map_err(EngineError::from)?;
    Ok(client.is_some_and(|c| c.allowed_logout_urls.iter().any(|allowed| allowed == url)))
}

/// `/v2/logout?client_id&returnTo`.
pub async fn v2_logout(
    engine: &Engine,
    tenant: &Tenant,
    session_cookie: Option<&str>,
    client_id: Option<&str>,
    return_to: Option<&str>,
) -> Result<LoggedOut, LogoutError> {
    if let Some(url) = return_to.filter(|u| !u.is_empty()) {
        match client_id.filter(|c| !c.is_empty()) {
            Some(client_id) => {
                if !allowed(engine, tenant, client_id, url).await? {
                    return Err(LogoutError::Invalid(
                        "returnTo is not in the client's Allowed Logout URLs".into(),
                    ));
                }
            }
            None => {
                if !tenant.settings.allowed_logout_urls.iter().any(|u| u == url) {
                    return Err(LogoutError::Invalid(
                        "returnTo is not in the tenant's Allowed Logout URLs; send the client_id of an application that lists it".into(),
                    ));
                }
            }
        }
        sessions::end(engine, &tenant.id, session_cookie).await?;
        return Ok(LoggedOut {
            redirect: Some(url.to_owned()),
        });
    }
    sessions::end(engine, &tenant.id, session_cookie).await?;
    Ok(LoggedOut { redirect: None })
}

/// `/oidc/logout?id_token_hint&post_logout_redirect_uri&state&client_id`.
pub async fn rp_initiated_logout(
    engine: &Engine,
    tenant: &Tenant,
    session_cookie: Option<&str>,
    id_token_hint: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
    client_id: Option<&str>,
) -> Result<LoggedOut, LogoutError> {
    let hinted_client = match id_token_hint.filter(|h| !h.is_empty()) {
        Some(hint) => Some(verify_hint(engine, tenant, hint, client_id).await?),
        None => None,
    };
    let client_id =
        hinted_client.or_else(|| client_id.filter(|c| !c.is_empty()).map(str::to_owned));
    let redirect = match post_logout_redirect_uri.filter(|u| !u.is_empty()) {
        None => None,
        Some(url) => {
            let Some(client_id) = &client_id else {
                return Err(LogoutError::Invalid(
                    "post_logout_redirect_uri needs id_token_hint or client_id".into(),
                ));
            };
            if !allowed(engine, tenant, client_id, url).await? {
                return Err(LogoutError::Invalid(
                    "post_logout_redirect_uri is not registered for the client".into(),
                ));
            }
            let mut target = url::Url::parse(url).map_err(|_| {
                LogoutError::Invalid("post_logout_redirect_uri is not a URL".into())
            })?;
            if let Some(state) = state.filter(|s| !s.is_empty()) {
                target.query_pairs_mut().append_pair("state", state);
            }
            Some(target.to_string())
        }
    };
    sessions::end(engine, &tenant.id, session_cookie).await?;
    Ok(LoggedOut { redirect })
}

/// Checks an `id_token_hint` this tenant issued; returns the client it was issued to.
async fn verify_hint(
    engine: &Engine,
    tenant: &Tenant,
    hint: &str,
    client_id: Option<&str>,
) -> Result<String, LogoutError> {
    let invalid =
        || LogoutError::Invalid("id_token_hint is not a valid ID token of this issuer".into());
    let audience = match client_id.filter(|c| !c.is_empty()) {
        Some(client_id) => client_id.to_owned(),
        None => unverified_audience(hint).ok_or_else(invalid)?,
    };
    verify_id_token_hint(engine, tenant, hint, &audience)
        .await?
        .ok_or_else(invalid)?;
    Ok(audience)
}

/// Verifies an ID token this tenant issued to `client_id`, accepting expired
/// ones (OIDC Core §3.1.2.1 and RP-Initiated Logout §2 use them as hints);
/// returns its claims, or `None` when it is not such a token.
pub async fn verify_id_token_hint(
    engine: &Engine,
    tenant: &Tenant,
    hint: &str,
    client_id: &str,
) -> Result<Option<serde_json::Value>, EngineError> {
    let expectations = crypto::Expectations::new(tenant.issuer.clone(), client_id.to_owned())
        .with_leeway(365 * 86_400);
    match verify_own_jwt(engine, tenant, hint, &expectations).await {
        Ok(claims) => Ok(Some(claims)),
        Err(OwnJwtError::Rejected(_)) => Ok(None),
        Err(OwnJwtError::Keys(error)) => Err(error),
    }
}
