//! Vestibule's domain model: the records every other crate speaks about.
//!
//! This crate owns plain data and the few rules that are true of the data
//! itself (identifier formats, timestamps, the clock). It must not know about
//! HTTP, SQL, or how a connection authenticates: the storage backends persist
//! these types, the engine applies policy to them, and the HTTP layer maps
//! them to Auth0's wire shapes.

pub mod client;
pub mod client_grant;
pub mod clock;
pub mod connection;
pub mod email;
pub mod ids;
pub mod job;
pub mod one_time;
pub mod resource_server;
pub mod session;
pub mod signing_key;
pub mod tenant;
pub mod tenant_settings;
pub mod token;
pub mod transaction;
pub mod user;

pub use client::{AppType, Client, JwtConfiguration, RefreshTokenPolicy, TokenEndpointAuthMethod};
pub use client_grant::ClientGrant;
pub use clock::{Clock, FixedClock, SystemClock, UnixMillis};
pub use connection::Connection;
pub use email::{EmailProvider, EmailTemplate, LogEvent, OutboxEmail};
pub use ids::TenantId;
pub use job::{
    ExportField, ExportFormat, Job, JobKind, JobParams, JobPayload, JobStatus, JobSummary,
};
pub use one_time::OneTimeRecord;
pub use resource_server::{ResourceServer, ResourceServerScope};
pub use session::Session;
pub use signing_key::{KeyState, SigningAlg, SigningKey};
pub use tenant::{LoginExperience, PromptSettings, Tenant};
pub use tenant_settings::TenantSettings;
pub use token::{IssuedToken, RefreshUse, TokenKind};
pub use transaction::LoginTransaction;
pub use user::{Identity, User};
