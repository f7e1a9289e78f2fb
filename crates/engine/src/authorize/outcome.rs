//! What the hosted pages send the login state machine ([`Submission`]) and
//! what it answers ([`Outcome`]): data only, which `http-api` renders
//! without deciding anything.

use super::dispatch::Step;
use super::login_page::LoginPage;
use super::request::AuthorizeError;
use super::transaction::PageError;
use crate::error::EngineError;
use serde::Serialize;

/// One page form, parsed.
#[derive(Debug, Clone)]
pub enum Submission {
    /// The identifier-first step (home-realm discovery).
    Identifier { identifier: String },
    /// A password for a database connection (the form's choice, or the only one).
    Password {
        username: String,
        password: String,
        connection: Option<String>,
    },
    /// The signup form.
    Signup(SignupForm),
    /// A social or enterprise connection's button.
    Connection { name: String },
    /// The consent form: allow or refuse.
    Consent { accepted: bool },
}

/// The signup form's fields as typed (shown again when refused).
#[derive(Debug, Clone, Default)]
pub struct SignupForm {
    pub email: Option<String>,
    pub username: Option<String>,
    pub password: String,
    pub connection: Option<String>,
}

/// The pages a transaction shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageName {
    Login,
    Signup,
    Consent,
}

/// What the request carries besides the form.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// The browser-binding cookie ([`super::transaction::TRANSACTION_COOKIE`]).
    pub browser_cookie: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// How a page answers, as an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    BadRequest,
    Forbidden,
    TooManyRequests,
    NotImplemented,
    BadGateway,
    Unavailable,
}

/// A page to render: its template's values, and where its forms may lead
/// (the CSP `form-action` targets of [`super::form_targets`]).
#[derive(Debug, Clone)]
pub struct Page {
    pub status: Status,
    pub view: View,
    pub form_targets: Vec<String>,
}

/// The values of each page's template.
#[derive(Debug, Clone)]
pub enum View {
    Login(LoginView),
    Signup(SignupView),
    Consent(ConsentView),
}

#[derive(Debug, Clone, Serialize)]
pub struct LoginView {
    pub page: LoginPage,
    /// The transaction id, which the forms post back.
    pub state: String,
    pub error: Option<String>,
    pub username: String,
    pub selected_connection: Option<String>,
    /// `identifier` or `password` on an identifier-first page; none on the
    /// one-step form.
    pub step: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignupView {
    pub page: LoginPage,
    pub state: String,
    pub error: Option<String>,
    pub email: Option<String>,
    pub username: Option<String>,
    pub selected_connection: Option<String>,
    /// The connection's password policy, described.
    pub policy: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    pub client_name: String,
    pub scopes: Vec<String>,
    pub state: String,
}

/// A session begun by a finished login: its cookie value and lifetime.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie: String,
    /// Seconds, for the cookie's `Max-Age`.
    pub lifetime: i64,
}

/// What the browser is shown next.
#[derive(Debug)]
pub enum Outcome {
    Render(Box<Page>),
    /// An error page: nothing on this page can go on.
    Error {
        status: Status,
        title: &'static str,
        message: String,
    },
    /// Another step of the state machine (a page of this transaction, or an
    /// upstream provider).
    Step(Step),
    /// This step is done: back to `/authorize/resume`, setting the session
    /// a login began.
    Resume {
        transaction_id: String,
        session: Option<NewSession>,
    },
    /// The transaction ends with an error for the client.
    Fail(AuthorizeError),
    /// An internal failure.
    Failed(EngineError),
}

impl Outcome {
    pub(crate) fn render(status: Status, view: View, form_targets: Vec<String>) -> Self {
        Self::Render(Box::new(Page {
            status,
            view,
            form_targets,
        }))
    }

    pub(crate) fn error(status: Status, title: &'static str, message: impl Into<String>) -> Self {
        Self::Error {
            status,
            title,
            message: message.into(),
        }
    }
}

impl From<PageError> for Outcome {
    fn from(error: PageError) -> Self {
        match error {
            PageError::TransactionUnavailable => {
                Self::error(Status::BadRequest, "Login expired", error.to_string())
            }
            PageError::Engine(error) => Self::Failed(error),
        }
    }
}

impl From<EngineError> for Outcome {
    fn from(error: EngineError) -> Self {
        Self::Failed(error)
    }
}
