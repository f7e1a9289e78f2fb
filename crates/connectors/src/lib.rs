//! Connection strategies: how Vestibule reaches a source of users.
//!
//! A *connection* (see `model::Connection`) names a *strategy* — Auth0's word
//! for the kind of identity source (`auth0`, `google-oauth2`, `samlp`, …) —
//! and carries strategy-specific `options`. This crate owns both: the closed
//! list of strategies ([`Strategy`]) and, per strategy, the typed shape of its
//! options with the checks that protect users from a misconfigured connection
//! ([`validate_options`]).
//!
//! The options types use Auth0's documented option names and JSON types, so a
//! connection exported from Auth0 (Management API, Terraform, deploy CLI) is
//! accepted as is. Unknown option names are rejected rather than ignored: a
//! setting Vestibule does not implement must not look as if it took effect.
//!
//! # What this crate must not do
//!
//! It touches no storage and knows no inbound HTTP types; its I/O is
//! outbound (upstream providers, custom databases), every destination
//! checked by the one guard in [`outbound`]. Secret option values (client
//! secrets, bind passwords, …) are listed by [`secret_fields`]; sealing them
//! for storage and hiding them from API responses is the caller's job.
//!
//! # Layout, now and planned
//!
//! The configuration side:
//!
//! - [`strategy`]: [`Strategy`], [`Category`] and the identity helpers
//!   (`is_social`, `provider`).
//! - [`options`]: one module per strategy family with its options type, plus
//!   [`validate_options`], [`secret_fields`] and [`default_options`].
//!
//! The authentication side, one trait per *way of authenticating* rather than
//! per provider:
//!
//! - `PasswordConnector` — the built-in database (`password_db`, over the
//!   `Storage` trait), custom databases and LDAP / Active Directory (`ldap`);
//! - [`redirect::RedirectConnector`] — OAuth 2.0 / OpenID Connect upstreams
//!   ([`redirect`]): today `oidc`, `oauth2`, `github` and `google-oauth2`;
//!   later the other presets, `okta`, `waad`, `google-apps`;
//! - a SAML connector for `samlp`, `pingfederate` and WS-Federation `adfs`
//!   (`saml`);
//! - `OneTimeCodeConnector` — passwordless `email` and `sms` delivery
//!   (`passwordless`).
//!
//! Each implementation module will open its connector from the validated
//! options type defined here.

pub mod custom_database;
pub mod options;
pub mod outbound;
pub mod redirect;
pub mod strategy;

pub use options::{
    OptionsError, ValidatedOptions, default_options, secret_fields, validate_options,
};
pub use strategy::{Category, Strategy, UnknownStrategy};
