//! The conformance cases, one `pub async fn` each, grouped by record kind.
//! Every case starts from an empty storage and names its own tenants.

mod apis;
mod clients;
mod concurrency;
mod connections;
mod email;
mod isolation;
mod jobs;
mod keys;
mod log_search;
mod login_counters;
mod one_time;
mod sessions;
mod support;
mod tenants;
mod tokens;
mod user_links;
mod user_search;
mod users;

pub use apis::*;
pub use clients::*;
pub use concurrency::*;
pub use connections::*;
pub use email::*;
pub use isolation::*;
pub use jobs::*;
pub use keys::*;
pub use log_search::*;
pub use login_counters::*;
pub use one_time::*;
pub use sessions::*;
pub use tenants::*;
pub use tokens::*;
pub use user_links::*;
pub use user_search::*;
pub use users::*;
