//! `PATCH /api/v2/users/{id}` with Auth0's rules: root fields are replaced
//! (`null` unsets the optional ones), `user_metadata`/`app_metadata` are
//! merged at the top level (`null` removes a key, `{}` clears), a new email
//! is unverified unless `email_verified` is sent too, and a new password
//! passes the connection's policy and history and is re-hashed. `connection`
//! is optional (Auth0 requires it only for secondary identities, which
//! Vestibule users do not have yet) but must name the user's connection.

use super::metadata::{check_metadata_size, merge_metadata};
use super::read::get_user;
use crate::Engine;
use crate::error::{EngineError, Result, not_found_as};
use crate::login::database_users::{
    self, is_valid_email, is_valid_username, optional_text, username_bounds,
};
use crate::login::password_login::directory;
use crate::login::password_policy::{self, PasswordPolicy, PersonalInfo};
use model::{TenantId, User};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// `Some(None)` for an explicit `null`, `None` when absent.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Auth0's update-user body.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// The user's connection name (optional; must match when given).
    pub connection: Option<String>,
    /// Accepted for Auth0 compatibility (verification emails come later).
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub email_verified: Option<bool>,
    pub verify_email: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub username: Option<Option<String>>,
    pub password: Option<String>,
    pub verify_password: Option<bool>,
    pub blocked: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub nickname: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub given_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub family_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub picture: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    pub user_metadata: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    pub app_metadata: Option<Map<String, Value>>,
}

impl UserUpdate {
    /// True when only the metadata objects change (what
    /// `update:users_app_metadata` alone may do).
    pub fn only_metadata(&self) -> bool {
        self.email.is_none()
            && self.email_verified.is_none()
            && self.verify_email.is_none()
            && self.username.is_none()
            && self.password.is_none()
            && self.verify_password.is_none()
            && self.blocked.is_none()
            && self.name.is_none()
            && self.nickname.is_none()
            && self.given_name.is_none()
            && self.family_name.is_none()
            && self.picture.is_none()
    }
}

/// The validated root-field changes, applied to whatever is stored.
#[derive(Debug, Clone, Default)]
struct Changes {
    email: Option<Option<String>>,
    email_verified: Option<bool>,
    username: Option<Option<String>>,
    password: Option<(String, Vec<String>)>,
    blocked: Option<bool>,
    name: Option<Option<String>>,
    nickname: Option<Option<String>>,
    given_name: Option<Option<String>>,
    family_name: Option<Option<String>>,
    picture: Option<Option<String>>,
    user_metadata: Option<Map<String, Value>>,
    app_metadata: Option<Map<String, Value>>,
}

impl Changes {
    fn apply(&self, mut user: User, now: i64) -> User {
        if let Some(email) = &self.email {
            let changed = user.email.as_deref().map(User::normalize_login)
                != email.as_deref().map(User::normalize_login);
            user.email = email.clone();
            if changed {
                user.email_verified = false;
            }
        }
        if let Some(verified) = self.email_verified {
            user.email_verified = verified;
        }
        if let Some(username) = &self.username {
            user.username = username.clone();
        }
        if let Some((hash, history)) = &self.password {
            user.password_hash = Some(hash.clone());
            user.password_history = history.clone();
        }
        if let Some(blocked) = self.blocked {
            user.blocked = blocked;
        }
        for (target, change) in [
            (&mut user.name, &self.name),
            (&mut user.nickname, &self.nickname),
            (&mut user.given_name, &self.given_name),
            (&mut user.family_name, &self.family_name),
            (&mut user.picture, &self.picture),
        ] {
            if let Some(value) = change {
                *target = value.clone();
            }
        }
        if let Some(patch) = &self.user_metadata {
            merge_metadata(&mut user.user_metadata, patch);
        }
        if let Some(patch) = &self.app_metadata {
            merge_metadata(&mut user.app_metadata, patch);
        }
        user.updated_at = now;
        user
    }
}

fn trimmed(value: &Option<Option<String>>) -> Option<Option<String>> {
    value.as_ref().map(|inner| {
        inner
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    })
}

pub async fn update_user(
    engine: &Engine,
    tenant: &TenantId,
    user_id: &str,
    input: UserUpdate,
) -> Result<User> {
    let user = get_user(engine, tenant, user_id).await?;
    let connection = engine
        .storage
        .get_connection(tenant, &user.connection_id)
        .await?
        .ok_or(EngineError::NotFound("connection"))?;
    if let Some(name) = &input.connection
        && *name != connection.name
    {
        return Err(EngineError::invalid(
            "connection",
            "the user has no identity in this connection",
        ));
    }
    let database = database_users::is_database(&connection);
    let touches_credentials =
        input.email.is_some() || input.username.is_some() || input.password.is_some();
    if touches_credentials && !database {
        return Err(EngineError::invalid(
            "connection",
            "email, username and password can be changed only for database users",
        ));
    }
    let mut changes = Changes {
        email: trimmed(&input.email),
        email_verified: input.email_verified,
        username: trimmed(&input.username),
        blocked: input.blocked,
        name: input.name.clone(),
        nickname: input.nickname.clone(),
        given_name: input.given_name.clone(),
        family_name: input.family_name.clone(),
        picture: input.picture.clone(),
        user_metadata: input.user_metadata.clone(),
        app_metadata: input.app_metadata.clone(),
        password: None,
    };
    match &changes.email {
        Some(None) => {
            return Err(EngineError::invalid(
                "email",
                "database users need an email",
            ));
        }
        Some(Some(email)) if !is_valid_email(email) => {
            return Err(EngineError::invalid(
                "email",
                "email is not a valid email address",
            ));
        }
        _ => {}
    }
    match &changes.username {
        Some(None) if database_users::requires_username(&connection) => {
            return Err(EngineError::invalid(
                "username",
                "the connection requires a username",
            ));
        }
        Some(Some(_)) if !database_users::requires_username(&connection) => {
            return Err(EngineError::invalid(
                "username",
                "this connection does not use usernames",
            ));
        }
        Some(Some(name)) if !is_valid_username(name, username_bounds(&connection)) => {
            return Err(EngineError::invalid(
                "username",
                "username is not valid for this connection",
            ));
        }
        _ => {}
    }
    for (field, value, max) in [
        ("name", &changes.name, 300),
        ("nickname", &changes.nickname, 300),
        ("given_name", &changes.given_name, 150),
        ("family_name", &changes.family_name, 150),
    ] {
        if let Some(value) = value {
            optional_text(field, value, max).map_err(super::create::from_signup)?;
        }
    }
    if let Some(Some(picture)) = &changes.picture {
        crate::validation::check_url("picture", picture, crate::validation::UrlKind::Http)?;
    }
    // The sizes after merging, so many small patches cannot grow past the limit.
    let preview = changes.apply(user.clone(), user.updated_at);
    check_metadata_size("user_metadata", &preview.user_metadata)?;
    check_metadata_size("app_metadata", &preview.app_metadata)?;
    if let Some(password) = input.password.as_deref() {
        let policy = PasswordPolicy::from_options(&connection.options);
        policy
            .check_new(password, &PersonalInfo::of(&preview))
            .map_err(EngineError::Password)?;
        password_policy::check_history(engine, &policy, &user, password)
            .await?
            .map_err(EngineError::Password)?;
        let hash = engine.passwords.hash(password).await?;
        changes.password = Some((hash, policy.next_history(&user)));
    }
    // A custom database keeps the password (and the verified flag) itself.
    let new_password = input
        .password
        .as_deref()
        .zip(changes.password.as_ref().map(|(hash, _)| hash.as_str()));
    let verify = input.email_verified == Some(true) && !user.email_verified;
    let keep_hash = directory(&connection, Some(&user))
        .apply_credential_changes(engine, &user, new_password, verify)
        .await?;
    if !keep_hash {
        changes.password = None;
    }
    let now = engine.now();
    match engine
        .storage
        .update_user(tenant, user_id, &|stored: User| {
            Ok(changes.apply(stored, now))
        })
        .await
    {
        Err(storage::StorageError::AlreadyExists(_)) => Err(EngineError::UserExists),
        other => other.map_err(not_found_as("user")),
    }
}
