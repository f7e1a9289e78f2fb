//! The Management API's scopes: one `{action}:{resource}` pair per operation,
//! with Auth0's names, so that Auth0 client grants keep working unchanged.

/// Every scope the Management API checks. The system resource server offers
/// exactly these, and the bootstrap client is granted all of them.
pub const MANAGEMENT_SCOPES: &[&str] = &[
    "read:clients",
    "create:clients",
    "update:clients",
    "delete:clients",
    "read:client_keys",
    "update:client_keys",
    "read:connections",
    "create:connections",
    "update:connections",
    "delete:connections",
    "read:resource_servers",
    "create:resource_servers",
    "update:resource_servers",
    "delete:resource_servers",
    "read:client_grants",
    "create:client_grants",
    "update:client_grants",
    "delete:client_grants",
    "read:signing_keys",
    "create:signing_keys",
    "update:signing_keys",
    "read:users",
    "create:users",
    "update:users",
    "delete:users",
    "read:users_app_metadata",
    "create:users_app_metadata",
    "update:users_app_metadata",
    "delete:users_app_metadata",
    "read:email_provider",
    "create:email_provider",
    "update:email_provider",
    "delete:email_provider",
    "read:email_templates",
    "create:email_templates",
    "update:email_templates",
    "create:user_tickets",
    "read:logs",
    "read:prompts",
    "update:prompts",
    "read:tenant_settings",
    "update:tenant_settings",
    "read:user_idp_tokens",
];

/// Scopes that belong to OIDC itself rather than to an API.
pub const OIDC_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// Auth0's scopes an end user's own token may carry for the Management API:
/// each acts only on the user the token was issued to. They are the only
/// Management API scopes a user-facing grant can obtain.
pub const CURRENT_USER_SCOPES: &[&str] = &[
    "read:current_user",
    "update:current_user_metadata",
    "create:current_user_metadata",
    "delete:current_user_metadata",
    "update:current_user_identities",
    "create:current_user_device_credentials",
    "delete:current_user_device_credentials",
];

/// Whether a user-facing grant (anything but `client_credentials`) may
/// obtain `scope` for the API `audience`: for the tenant's Management API
/// only the OIDC scopes and the [`CURRENT_USER_SCOPES`] (an allow-list, so
/// a scope added later is never granted to an end user by default); any
/// other API keeps its own scopes.
pub fn user_may_obtain(management_audience: &str, audience: Option<&str>, scope: &str) -> bool {
    audience != Some(management_audience)
        || CURRENT_USER_SCOPES.contains(&scope)
        || OIDC_SCOPES.contains(&scope)
}

/// Splits a space-delimited OAuth scope string (RFC 6749 §3.3) into its tokens.
pub fn split(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in scope.split(' ').filter(|token| !token.is_empty()) {
        if !out.iter().any(|seen| seen == token) {
            out.push(token.to_owned());
        }
    }
    out
}

/// RFC 6749 §3.3: scope tokens are `%x21 / %x23-5B / %x5D-7E`.
pub fn is_valid_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_users_obtain_only_current_user_and_oidc_scopes_for_the_management_api() {
        let management = "https://t.example/api/v2/";
        let api = Some(management);
        for scope in [
            "read:current_user",
            "update:current_user_metadata",
            "openid",
        ] {
            assert!(user_may_obtain(management, api, scope), "{scope}");
        }
        for scope in MANAGEMENT_SCOPES
            .iter()
            .chain(&["create:future_admin_thing"])
        {
            assert!(!user_may_obtain(management, api, scope), "{scope}");
        }
        // Other APIs keep their own scopes, whatever their names.
        assert!(user_may_obtain(
            management,
            Some("https://api.example/"),
            "read:users"
        ));
        assert!(user_may_obtain(management, None, "read:users"));
    }
}
