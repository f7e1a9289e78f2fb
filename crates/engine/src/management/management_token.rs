//! Who is calling the Management API: a bearer JWT that this tenant signed,
//! whose audience is the tenant's Management API, carrying scopes.

use crate::Engine;
use crate::token::verify::{OwnJwtError, verify_own_jwt};
use model::Tenant;
use std::collections::BTreeSet;

/// Who holds a Management API token, decided from `gty` and `sub` rather
/// than from its scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    /// A machine client (`client_credentials`, `sub` = `{client_id}@clients`):
    /// an administrator limited by its scopes.
    Client { client_id: String },
    /// An end user's own token, issued to `client_id`: only the
    /// current-user scopes, and only on this user.
    User { user_id: String, client_id: String },
}

/// An authenticated Management API caller.
#[derive(Debug, Clone)]
pub struct ManagementCaller {
    pub subject: String,
    pub kind: CallerKind,
    /// What the token may do: a client's administrative scopes, or a user's
    /// current-user scopes (whatever else the token claims is ignored).
    pub scopes: BTreeSet<String>,
}

impl ManagementCaller {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// Whether this is the end user `user_id` calling with its own token.
    pub fn is_user(&self, user_id: &str) -> bool {
        matches!(&self.kind, CallerKind::User { user_id: own, .. } if own == user_id)
    }

    /// Fails unless the token carries one of `scopes`.
    pub fn require_any(&self, scopes: &[&str]) -> Result<(), ManagementAuthError> {
        if scopes.iter().any(|scope| self.has_scope(scope)) {
            Ok(())
        } else {
            Err(ManagementAuthError::InsufficientScope(scopes.join(",")))
        }
    }

    /// Reading a user: `read:users` (or `read:users_app_metadata`), or
    /// `read:current_user` for the caller's own user.
    pub fn may_read_user(&self, user_id: &str) -> Result<(), ManagementAuthError> {
        if self.is_user(user_id) {
            return self.require_any(&[READ_CURRENT_USER]);
        }
        self.require_any(&["read:users", "read:users_app_metadata"])
    }

    /// `PATCH /api/v2/users/{id}`: `update:users` for anything;
    /// `update:users_app_metadata` for the metadata objects alone; and for
    /// the caller's own user, its `user_metadata` alone with the
    /// current-user metadata scopes (`null` values delete keys, which
    /// `delete:current_user_metadata` also allows).
    pub fn may_update_user(
        &self,
        user_id: &str,
        update: &crate::users::UserUpdate,
    ) -> Result<(), ManagementAuthError> {
        if let CallerKind::User { .. } = &self.kind {
            let own_metadata_only = self.is_user(user_id)
                && update.only_metadata()
                && update.app_metadata.is_none()
                && update.connection.is_none()
                && update.client_id.is_none();
            let Some(metadata) = update.user_metadata.as_ref().filter(|_| own_metadata_only) else {
                return Err(ManagementAuthError::InsufficientScope(
                    "update:users,update:users_app_metadata".into(),
                ));
            };
            const WRITE: &[&str] = &[
                "update:current_user_metadata",
                "create:current_user_metadata",
            ];
            const DELETE: &[&str] = &[
                "update:current_user_metadata",
                "delete:current_user_metadata",
            ];
            if metadata.values().any(|v| !v.is_null()) || metadata.is_empty() {
                self.require_any(WRITE)?;
            }
            if metadata.values().any(serde_json::Value::is_null) {
                self.require_any(DELETE)?;
            }
            return Ok(());
        }
        if self.has_scope("update:users") {
            return Ok(());
        }
        self.require_any(&["update:users", "update:users_app_metadata"])?;
        if update.only_metadata() {
            Ok(())
        } else {
            Err(ManagementAuthError::InsufficientScope(
                "update:users".into(),
            ))
        }
    }

    /// Linking to or unlinking from `user_id`: `update:users`, or
    /// `update:current_user_identities` on the caller's own user. Returns
    /// the client the caller's token was issued to when it is that end user:
    /// a link then needs `link_with`, an ID token of the same client.
    pub fn may_change_identities(
        &self,
        user_id: &str,
    ) -> Result<Option<&str>, ManagementAuthError> {
        match &self.kind {
            CallerKind::User {
                user_id: own,
                client_id,
            } if own == user_id => {
                self.require_any(&[UPDATE_CURRENT_USER_IDENTITIES])?;
                Ok(Some(client_id.as_str()))
            }
            _ => self.require_any(&["update:users"]).map(|()| None),
        }
    }
}

const READ_CURRENT_USER: &str = "read:current_user";
const UPDATE_CURRENT_USER_IDENTITIES: &str = "update:current_user_identities";

#[derive(Debug, thiserror::Error)]
pub enum ManagementAuthError {
    #[error("Missing authentication")]
    Missing,
    #[error("Invalid token")]
    Invalid(#[source] Option<crypto::JwtError>),
    #[error("Bad audience: {0}")]
    WrongAudience(String),
    #[error("Insufficient scope, expected any of: {0}")]
    InsufficientScope(String),
    #[error("the server could not check the token")]
    Engine(#[from] crate::EngineError),
}

/// Verifies a Management API bearer token for this tenant.
pub async fn authenticate(
    engine: &Engine,
    tenant: &Tenant,
    token: &str,
) -> Result<ManagementCaller, ManagementAuthError> {
    if token.is_empty() {
        return Err(ManagementAuthError::Missing);
    }
    let audience = tenant.management_audience();
    // Only access tokens (RFC 9068 `typ`), so an ID token can never pass.
    let expectations =
        crypto::Expectations::new(tenant.issuer.clone(), audience.clone()).with_typ("at+jwt");
    let claims = verify_own_jwt(engine, tenant, token, &expectations)
        .await
        .map_err(|error| match error {
            OwnJwtError::Keys(engine) => ManagementAuthError::Engine(engine),
            OwnJwtError::Rejected(crypto::JwtError::WrongAudience) => {
                ManagementAuthError::WrongAudience(audience.clone())
            }
            OwnJwtError::Rejected(other) => ManagementAuthError::Invalid(Some(other)),
        })?;
    let text = |name: &str| claims.get(name).and_then(serde_json::Value::as_str);
    let subject = text("sub").unwrap_or_default().to_owned();
    let client_id = text("azp")
        .or_else(|| text("client_id"))
        .unwrap_or_default();
    let kind = caller_kind(text("gty"), &subject, client_id)?;
    // A user's token is worth its current-user scopes only, and a client's
    // its administrative ones, whatever else a token says it carries.
    let allowed: &[&str] = match kind {
        CallerKind::Client { .. } => crate::token::scopes::MANAGEMENT_SCOPES,
        CallerKind::User { .. } => crate::token::scopes::CURRENT_USER_SCOPES,
    };
    let scopes = text("scope")
        .map(crate::token::scopes::split)
        .unwrap_or_default()
        .into_iter()
        .filter(|scope| allowed.contains(&scope.as_str()))
        .collect();
    Ok(ManagementCaller {
        subject,
        kind,
        scopes,
    })
}

/// A client-credentials token (`gty`) names its own client as subject
/// (`{client_id}@clients`); any other token is an end user's. A token that
/// claims one kind and names the other is refused.
fn caller_kind(
    gty: Option<&str>,
    subject: &str,
    client_id: &str,
) -> Result<CallerKind, ManagementAuthError> {
    let client_subject = subject.strip_suffix("@clients");
    match (gty, client_subject) {
        (Some("client-credentials"), Some(client)) if !client.is_empty() && client == client_id => {
            Ok(CallerKind::Client {
                client_id: client.to_owned(),
            })
        }
        (Some("client-credentials"), _) | (_, Some(_)) => Err(ManagementAuthError::Invalid(None)),
        _ if subject.is_empty() || client_id.is_empty() => Err(ManagementAuthError::Invalid(None)),
        _ => Ok(CallerKind::User {
            user_id: subject.to_owned(),
            client_id: client_id.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::UserUpdate;

    fn user(scopes: &[&str]) -> ManagementCaller {
        ManagementCaller {
            subject: "auth0|me".into(),
            kind: CallerKind::User {
                user_id: "auth0|me".into(),
                client_id: "app".into(),
            },
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn update(json: serde_json::Value) -> UserUpdate {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_caller_kind_comes_from_gty_and_sub_and_mixed_claims_are_refused() {
        assert_eq!(
            caller_kind(Some("client-credentials"), "m2m@clients", "m2m").unwrap(),
            CallerKind::Client {
                client_id: "m2m".into()
            }
        );
        assert_eq!(
            caller_kind(None, "auth0|me", "app").unwrap(),
            CallerKind::User {
                user_id: "auth0|me".into(),
                client_id: "app".into()
            }
        );
        for (gty, sub, azp) in [
            (Some("client-credentials"), "auth0|me", "app"),
            (Some("client-credentials"), "other@clients", "m2m"),
            (Some("client-credentials"), "@clients", ""),
            (None, "m2m@clients", "m2m"),
            (Some("password"), "m2m@clients", "m2m"),
            (None, "", "app"),
            (None, "auth0|me", ""),
        ] {
            assert!(caller_kind(gty, sub, azp).is_err(), "{gty:?} {sub} {azp}");
        }
    }

    #[test]
    fn an_end_user_reads_and_patches_only_its_own_user_metadata() {
        let me = user(&["read:current_user", "update:current_user_metadata"]);
        assert!(me.may_read_user("auth0|me").is_ok());
        assert!(me.may_read_user("auth0|other").is_err());
        let metadata = update(serde_json::json!({"user_metadata": {"a": 1, "b": null}}));
        assert!(me.may_update_user("auth0|me", &metadata).is_ok());
        assert!(me.may_update_user("auth0|other", &metadata).is_err());
        for body in [
            serde_json::json!({"app_metadata": {"a": 1}}),
            serde_json::json!({"email": "x@example.com", "user_metadata": {}}),
            serde_json::json!({"blocked": true}),
            serde_json::json!({"connection": "db", "user_metadata": {"a": 1}}),
        ] {
            assert!(me.may_update_user("auth0|me", &update(body)).is_err());
        }
        // Deleting keys needs update or delete; adding needs update or create.
        let deleter = user(&["delete:current_user_metadata"]);
        let delete = update(serde_json::json!({"user_metadata": {"a": null}}));
        assert!(deleter.may_update_user("auth0|me", &delete).is_ok());
        assert!(deleter.may_update_user("auth0|me", &metadata).is_err());
        let creator = user(&["create:current_user_metadata"]);
        assert!(creator.may_update_user("auth0|me", &delete).is_err());
        assert!(
            creator
                .may_update_user(
                    "auth0|me",
                    &update(serde_json::json!({"user_metadata": {"a": 1}}))
                )
                .is_ok()
        );
        assert!(
            user(&["read:current_user"])
                .may_update_user("auth0|me", &metadata)
                .is_err()
        );
    }

    #[test]
    fn identities_change_with_the_user_scope_on_itself_or_update_users() {
        let me = user(&["update:current_user_identities"]);
        assert_eq!(me.may_change_identities("auth0|me").unwrap(), Some("app"));
        assert!(me.may_change_identities("auth0|other").is_err());
        let admin = ManagementCaller {
            subject: "m2m@clients".into(),
            kind: CallerKind::Client {
                client_id: "m2m".into(),
            },
            scopes: ["update:users".to_owned()].into(),
        };
        assert_eq!(admin.may_change_identities("auth0|me").unwrap(), None);
    }
}
