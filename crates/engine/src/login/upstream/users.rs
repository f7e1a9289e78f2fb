//! Users who log in through an upstream: found by `{provider}|{upstream id}`
//! (never by email), created at their first login, and their root profile
//! kept in sync per the connection's `set_user_root_attributes`:
//!
//! - `on_each_login` (Auth0's default): root attributes are set from the
//!   upstream profile at every login;
//! - `on_first_login`: set when the user is created, then left to the
//!   application (a Management API change survives later logins);
//! - `never_on_login`: never set from the upstream.
//!
//! Names an upstream sends only at the first authorization, outside its
//! signed answer (Sign in with Apple), fill the user when it is created and
//! are never applied again.
//!
//! The identity's `profileData` is refreshed at every login whatever the
//! setting, and the upstream's tokens are kept sealed in it (context naming
//! the tenant, user and connection) and never returned.

use crate::Engine;
use crate::error::{EngineError, Result};
use connectors::Strategy;
use connectors::options::common::SetUserRootAttributes;
use connectors::redirect::{UpstreamIdentity, UpstreamProfile, root_attributes_policy};
use model::{Connection, Identity, Tenant, User};
use serde_json::json;

/// The outcome of a sign-in.
#[derive(Debug)]
pub enum SignIn {
    User(Box<User>),
    /// The user exists and is blocked: no login.
    Blocked,
}

/// The sealing context of an identity's upstream tokens: tenant, the
/// identity's own `{provider}|{id}` and its connection.
fn tokens_context(tenant: &Tenant, user_id: &str, connection: &Connection) -> String {
    format!(
        "upstream-tokens/{}/{user_id}/{}",
        tenant.id.as_str(),
        connection.id
    )
}

/// Applies the upstream's root attributes to a user.
fn apply_profile(user: &mut User, profile: &UpstreamProfile) {
    if let Some(email) = &profile.email {
        user.email = Some(email.clone());
        user.email_verified = profile.email_verified;
    }
    let fields = [
        (&mut user.name, &profile.name),
        (&mut user.nickname, &profile.nickname),
        (&mut user.given_name, &profile.given_name),
        (&mut user.family_name, &profile.family_name),
        (&mut user.picture, &profile.picture),
    ];
    for (slot, value) in fields {
        if value.is_some() {
            slot.clone_from(value);
        }
    }
}

/// Fills the names a new user has no signed value for from the upstream's
/// first-authorization attributes. Never the email: it is not verified.
fn apply_first_login(user: &mut User, names: &UpstreamProfile) {
    let fields = [
        (&mut user.name, &names.name),
        (&mut user.given_name, &names.given_name),
        (&mut user.family_name, &names.family_name),
    ];
    for (slot, value) in fields {
        if slot.is_none() && value.is_some() {
            slot.clone_from(value);
        }
    }
}

/// The part of the user id after `{provider}|`. Social presets name one
/// upstream, whose ids are global (`github|583231`); enterprise connections
/// and custom `oauth2` connections may each be a different upstream with its
/// own id space, so their ids carry the connection name, as Auth0's do
/// (`oidc|acme|{sub}`): the same `sub` at two upstreams is two users.
pub fn local_user_id(strategy: Strategy, connection: &Connection, upstream_id: &str) -> String {
    if strategy.is_social() && strategy != Strategy::OAuth2 {
        upstream_id.to_owned()
    } else {
        format!("{}|{upstream_id}", connection.name)
    }
}

/// Finds or creates the user of an upstream identity and records the login.
pub async fn sign_in(
    engine: &Engine,
    tenant: &Tenant,
    connection: &Connection,
    identity: UpstreamIdentity,
    ip: Option<&str>,
) -> Result<SignIn> {
    let strategy = Strategy::parse(&connection.strategy)
        .ok_or_else(|| EngineError::invalid("strategy", "unknown strategy"))?;
    let provider = strategy.provider();
    let local_id = local_user_id(strategy, connection, &identity.user_id);
    let user_id = format!("{provider}|{local_id}");
    let sealed_tokens = match (&identity.access_token, &identity.refresh_token) {
        (None, None) => None,
        (access, refresh) => Some(engine.master_key.seal_str(
            &tokens_context(tenant, &user_id, connection),
            &json!({"access_token": access, "refresh_token": refresh}).to_string(),
        )?),
    };
    let policy = root_attributes_policy(&connection.options);
    let now = engine.now();
    let new_identity = Identity {
        connection: connection.name.clone(),
        connection_id: connection.id.clone(),
        provider: provider.to_owned(),
        user_id: local_id.clone(),
        is_social: strategy.is_social(),
        profile_data: Some(identity.raw.clone()),
        upstream_tokens: sealed_tokens.clone(),
    };
    // A linked identity logs in as its primary user.
    let existing = engine.storage.primary_user_id(&tenant.id, &user_id).await?;
    if existing.is_none() {
        let mut user = User {
            tenant_id: tenant.id.clone(),
            user_id: user_id.clone(),
            connection_id: connection.id.clone(),
            email: None,
            email_verified: false,
            username: None,
            phone_number: None,
            phone_verified: false,
            name: None,
            nickname: None,
            given_name: None,
            family_name: None,
            picture: None,
            password_hash: None,
            password_history: Vec::new(),
            blocked: false,
            identities: vec![new_identity.clone()],
            user_metadata: serde_json::Map::new(),
            app_metadata: serde_json::Map::new(),
            logins_count: 1,
            last_login: Some(now),
            last_ip: ip.map(str::to_owned),
            created_at: now,
            updated_at: now,
        };
        if policy != SetUserRootAttributes::NeverOnLogin {
            apply_profile(&mut user, &identity.profile);
            // Unsigned first-authorization names (Apple's `user` field):
            // only a new user takes them, and only where the signed
            // profile has nothing.
            apply_first_login(&mut user, &identity.first_login);
            if user.name.is_none() {
                user.name = user
                    .email
                    .clone()
                    .or_else(|| Some(identity.user_id.clone()));
            }
            if user.nickname.is_none() {
                user.nickname = user
                    .email
                    .as_deref()
                    .and_then(|e| e.split('@').next())
                    .map(str::to_owned);
            }
        }
        match engine.storage.create_user(&user).await {
            Ok(()) => return Ok(SignIn::User(Box::new(user))),
            // Created concurrently by another callback of the same user:
            // update it below. (Emails need not be unique here: users of
            // redirect connections may share one, as in Auth0.)
            Err(storage::StorageError::AlreadyExists(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let primary_id = engine
        .storage
        .primary_user_id(&tenant.id, &user_id)
        .await?
        .ok_or(EngineError::NotFound("user"))?;
    let is_own_identity = primary_id == user_id;
    let primary = engine
        .storage
        .get_user(&tenant.id, &primary_id)
        .await?
        .ok_or(EngineError::NotFound("user"))?;
    if primary.blocked {
        return Ok(SignIn::Blocked);
    }
    let ip = ip.map(str::to_owned);
    let profile = identity.profile.clone();
    let user = engine
        .storage
        .update_user(&tenant.id, &primary_id, &|mut user: User| {
            // A linked identity refreshes its own profileData only; the
            // primary's root attributes follow the primary's identity.
            if is_own_identity && policy == SetUserRootAttributes::OnEachLogin {
                apply_profile(&mut user, &profile);
            }
            match user.identities.iter_mut().find(|i| {
                i.connection_id == new_identity.connection_id && i.user_id == new_identity.user_id
            }) {
                Some(existing) => {
                    existing.profile_data = new_identity.profile_data.clone();
                    existing.connection = new_identity.connection.clone();
                    if new_identity.upstream_tokens.is_some() {
                        existing.upstream_tokens = new_identity.upstream_tokens.clone();
                    }
                }
                None => user.identities.push(new_identity.clone()),
            }
            user.logins_count += 1;
            user.last_login = Some(now);
            user.last_ip = ip.clone();
            user.updated_at = now;
            Ok(user)
        })
        .await?;
    Ok(SignIn::User(Box::new(user)))
}

/// The upstream tokens of one identity, unsealed (for the Management API's
/// `read:user_idp_tokens` callers).
pub fn upstream_tokens(
    engine: &Engine,
    tenant: &Tenant,
    identity: &Identity,
) -> Result<Option<serde_json::Value>> {
    let Some(sealed) = &identity.upstream_tokens else {
        return Ok(None);
    };
    // Sealed under the identity's own user id (see `tokens_context`), which
    // stays the same when the identity is linked to another user or
    // unlinked again.
    let context = format!(
        "upstream-tokens/{}/{}|{}/{}",
        tenant.id.as_str(),
        identity.provider,
        identity.user_id,
        identity.connection_id
    );
    let text = engine.master_key.open_str(&context, sealed)?;
    Ok(serde_json::from_str(&text).ok())
}
