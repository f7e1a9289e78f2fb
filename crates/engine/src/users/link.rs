//! Account linking, as Auth0's `POST /api/v2/users/{id}/identities` and
//! `DELETE /api/v2/users/{id}/identities/{provider}/{user_id}` do it.
//!
//! Linking moves every identity of the secondary user into the primary's
//! `identities`; from then on a login through any of them is a login of the
//! primary (`storage::UserStore::primary_user_id` resolves it, for upstream
//! logins in `upstream::users` and password logins in `database_users`).
//! Unlinking gives the identity back to a user of its own, as Auth0 does.
//!
//! Linking is only ever asked for: by an administrator (`update:users`)
//! naming both users, or with the secondary user's own ID token
//! (`link_with`), which proves someone logged in as that user just now.
//! Vestibule never links on a matching email by itself: an upstream that
//! does not verify addresses (or a user who registers someone else's
//! address at a provider that does not check) would otherwise take over the
//! account that owns the address simply by logging in. Whoever builds
//! "suggest linking on the same email" on top of this API must require the
//! email to be verified on **both** sides and the user to prove the
//! secondary account (log in to it), as Auth0's guidance says.

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::token::verify::{OwnJwtError, unverified_audience, verify_own_jwt};
use model::{Identity, Tenant, TenantId, User};
use serde::Deserialize;
use serde_json::Value;
use storage::StorageError;

/// Auth0's link body: either the secondary's `provider` and `user_id`
/// (optionally its `connection_id`), or `link_with`, an ID token of the
/// secondary user issued by this tenant.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The secondary identity's provider (`auth0`, `google-oauth2`, …).
    pub provider: Option<String>,
    /// The secondary identity's id, without the `provider|` prefix.
    #[schema(value_type = Option<String>)]
    pub user_id: Option<Value>,
    /// The secondary's connection (`con_…`), checked when given.
    pub connection_id: Option<String>,
    /// An ID token of the secondary user, issued by this tenant.
    pub link_with: Option<String>,
}

fn invalid(message: &str) -> EngineError {
    EngineError::invalid("body", message)
}

/// The secondary's full user id named by a link request. An end user
/// linking its own account (`own_client`: the client its token was issued
/// to) must prove the secondary with an ID token issued to that client, as
/// Auth0 requires; naming a user by id is for administrators.
async fn secondary_user_id(
    engine: &Engine,
    tenant: &Tenant,
    request: &LinkRequest,
    own_client: Option<&str>,
) -> Result<String> {
    match (&request.link_with, &request.provider, &request.user_id) {
        (Some(token), None, None) if request.connection_id.is_none() => {
            subject_of_id_token(engine, tenant, token, own_client).await
        }
        (None, _, _) if own_client.is_some() => Err(invalid(
            "link_with is required to link with an end user's token",
        )),
        (Some(_), _, _) => Err(invalid(
            "link_with cannot be combined with provider, user_id or connection_id",
        )),
        (None, Some(provider), Some(user_id)) => {
            // Auth0 accepts numeric ids (GitHub's) as numbers.
            let user_id = match user_id {
                Value::String(id) => id.clone(),
                Value::Number(id) => id.to_string(),
                _ => return Err(invalid("user_id must be a string")),
            };
            if provider.is_empty()
                || user_id.is_empty()
                || provider.len() > 64
                || user_id.len() > 256
                || provider.contains('|')
            {
                return Err(invalid("provider and user_id must name an identity"));
            }
            Ok(format!("{provider}|{user_id}"))
        }
        _ => Err(invalid(
            "either link_with, or provider and user_id are required",
        )),
    }
}

/// Verifies an ID token of this tenant (our keys, our issuer, `typ: JWT` so
/// no access token passes, an audience that is one of the tenant's clients,
/// not expired, and issued to `own_client` when one is named) and returns
/// its `sub`.
async fn subject_of_id_token(
    engine: &Engine,
    tenant: &Tenant,
    token: &str,
    own_client: Option<&str>,
) -> Result<String> {
    let rejected = || invalid("link_with is not a valid ID token of this tenant");
    let audience = unverified_audience(token).ok_or_else(rejected)?;
    if own_client.is_some_and(|client| client != audience) {
        return Err(invalid(
            "link_with must be an ID token issued to the client of the access token",
        ));
    }
    if engine
        .storage
        .get_client(&tenant.id, &audience)
        .await?
        .is_none()
    {
        return Err(rejected());
    }
    let expectations = crypto::Expectations::new(tenant.issuer.clone(), audience).with_typ("JWT");
    let claims = match verify_own_jwt(engine, tenant, token, &expectations).await {
        Ok(claims) => claims,
        Err(OwnJwtError::Keys(error)) => return Err(error),
        Err(OwnJwtError::Rejected(_)) => return Err(rejected()),
    };
    claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|sub| !sub.is_empty())
        .map(str::to_owned)
        .ok_or_else(rejected)
}

/// Links the secondary named by `request` to `primary_user_id`; returns the
/// primary's identities. `own_client` is set when the primary links itself
/// with its own token (see [`secondary_user_id`]).
pub async fn link(
    engine: &Engine,
    tenant: &Tenant,
    primary_user_id: &str,
    request: &LinkRequest,
    own_client: Option<&str>,
) -> Result<Vec<Identity>> {
    let secondary_id = secondary_user_id(engine, tenant, request, own_client).await?;
    if secondary_id == primary_user_id {
        return Err(invalid("a user cannot be linked to itself"));
    }
    if engine
        .storage
        .get_user(&tenant.id, primary_user_id)
        .await?
        .is_none()
    {
        return Err(EngineError::NotFound("user"));
    }
    let Some(secondary) = engine.storage.get_user(&tenant.id, &secondary_id).await? else {
        return Err(invalid(
            "the secondary user does not exist or is already linked",
        ));
    };
    if let Some(connection_id) = &request.connection_id
        && *connection_id != secondary.connection_id
    {
        return Err(invalid("the secondary user is not in that connection"));
    }
    match engine
        .storage
        .link_user(&tenant.id, primary_user_id, &secondary_id)
        .await
    {
        Ok(primary) => Ok(primary.identities),
        Err(StorageError::NotFound) => Err(EngineError::NotFound("user")),
        Err(error) => Err(error.into()),
    }
}

/// Unlinks `{provider}|{user_id}` from the primary; returns the identities
/// the primary keeps. The unlinked identity is a user of its own again.
pub async fn unlink(
    engine: &Engine,
    tenant: &TenantId,
    primary_user_id: &str,
    provider: &str,
    user_id: &str,
) -> Result<Vec<Identity>> {
    let secondary_id = format!("{provider}|{user_id}");
    let Some(primary) = engine.storage.get_user(tenant, primary_user_id).await? else {
        return Err(EngineError::NotFound("user"));
    };
    if secondary_id == primary.user_id {
        return Err(invalid("the main identity cannot be unlinked"));
    }
    match engine
        .storage
        .unlink_user(tenant, primary_user_id, &secondary_id)
        .await
    {
        Ok((primary, _)) => Ok(primary.identities),
        Err(StorageError::NotFound) => Err(EngineError::NotFound("identity")),
        Err(error) => Err(error.into()),
    }
}

/// The user a login of `user_id` is a login of: its primary when it is
/// linked, itself otherwise; `None` when there is no such user.
pub async fn resolve_primary(
    engine: &Engine,
    tenant: &TenantId,
    user_id: &str,
) -> Result<Option<User>> {
    let Some(primary_id) = engine.storage.primary_user_id(tenant, user_id).await? else {
        return Ok(None);
    };
    Ok(engine.storage.get_user(tenant, &primary_id).await?)
}
