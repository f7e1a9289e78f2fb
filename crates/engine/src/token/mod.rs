//! The token endpoint and what it issues: grants, client authentication, signing keys, scopes, userinfo.

pub mod client_auth;
pub mod client_credentials;
pub mod grants;
pub mod keys;
pub mod oauth_error;
pub mod opaque_tokens;
pub mod scopes;
pub mod tokens;
pub mod userinfo;
pub mod verify;
