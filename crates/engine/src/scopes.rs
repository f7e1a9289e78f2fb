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
