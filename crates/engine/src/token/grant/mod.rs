//! One module per grant of the token endpoint. Each gets its typed request
//! and the authenticated client and issues tokens; what every grant shares
//! (the grant type, client authentication, logging) is in `exchange`.

pub mod authorization_code;
pub mod client_credentials;
pub mod errors;
pub mod password;
pub mod refresh_token;
