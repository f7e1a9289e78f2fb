//! Tenant configuration managed through the Management API: clients, grants, connections, APIs, settings.

pub mod client_grants;
pub mod clients;
pub mod connections;
pub mod management_token;
pub mod prompts;
pub mod resource_servers;
pub mod tenant_settings;
