//! The authorization endpoint and its login transaction: [`dispatch`]
//! decides each next step of `/authorize`, [`steps`] runs the steps the
//! hosted pages show and submit, [`response`] answers the client.

mod consent;
pub mod dispatch;
mod first_factor;
pub mod form_targets;
pub mod home_realm;
pub mod login_page;
pub mod outcome;
pub mod request;
pub mod response;
pub mod steps;
pub mod transaction;
mod views;

pub use dispatch::{ResumeError, Started, Step, resume, start};
pub use login_page::{ConnectionChoice, LoginPage};
pub use outcome::{Context, Outcome, PageName, Submission};
pub use response::{AuthorizationResponse, CODE_KIND, CodeGrant, USED_CODE_KIND};
pub use steps::{show, submit, upstream_returned};
pub use transaction::{OpenTransaction, PageError, TRANSACTION_COOKIE};
