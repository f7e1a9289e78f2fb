//! Authenticating users: passwords and databases, federation upstreams, brute-force protection, sessions, logout.

pub mod builtin_directory;
pub mod custom_database;
pub mod database_users;
pub mod directory;
pub mod identifiers;
pub mod login_events;
pub mod login_protection;
pub mod logout;
pub mod password_login;
pub mod password_policy;
pub mod password_rejection;
pub mod passwords;
pub mod sessions;
pub mod signup;
pub mod upstream;
