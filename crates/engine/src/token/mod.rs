//! The token endpoint and what it issues: the request pipeline and its
//! grants, client authentication, signing keys, scopes, userinfo.

pub mod client_auth;
pub mod exchange;
pub mod grant;
pub mod keys;
pub mod oauth_error;
pub mod opaque_tokens;
pub mod request;
pub mod scopes;
pub mod tokens;
pub mod userinfo;
pub mod verify;
