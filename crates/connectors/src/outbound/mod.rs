//! The outbound guard: the one place that decides whether Vestibule may
//! open a connection to a destination a tenant configured.
//!
//! Tenants name hosts that Vestibule then contacts from inside the network
//! it runs in: upstream identity providers, custom databases (SQL hosts and
//! HTTP endpoints), the SMTP server, and later LDAP directories, SAML
//! metadata URLs, SMS gateways and webhooks. An administrator of one tenant
//! (or whoever steals a Management API token) must not reach the loopback
//! interface, the private network or the cloud metadata service through
//! them, nor read those answers back through error messages — the operator
//! decides what inside is reachable, not the tenant:
//!
//! * public addresses are allowed ([`rules::is_public`]);
//! * private ones only when the operator allows them all
//!   (`VESTIBULE_ALLOW_PRIVATE_UPSTREAMS=true`: development and tests) or
//!   lists them (`VESTIBULE_ALLOWED_PRIVATE_DESTINATIONS`, [`allow_list`]);
//! * the server's own database is never allowed, even then
//!   ([`OwnDatabase`]).
//!
//! The check runs on the addresses a connection will actually use:
//! [`OutboundPolicy::resolve`] resolves the name and keeps only allowed
//! addresses, and callers connect to one of *those* (SQL, SMTP) or use a
//! client whose resolver is this check ([`http::GuardedClients`]), so a name
//! that resolves to a public address when the options are saved and to an
//! inner one at login (DNS rebinding) is still refused. Refusals name the
//! rule ([`Refused`]); callers show that, never a remote's banner.

pub mod allow_list;
pub mod http;
mod policy;
pub mod rules;

pub use allow_list::{AllowEntry, AllowListError, parse_allow_list};
pub use policy::{OutboundError, OutboundPolicy, OwnDatabase, Reason, Refused, refusal_in};
