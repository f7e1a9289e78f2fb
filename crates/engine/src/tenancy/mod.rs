//! Which tenant a request is for, and the cached lookups of its clients and connections.

pub mod lookups;
pub mod tenants;
