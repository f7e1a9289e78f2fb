//! Management API behaviour over HTTP.
