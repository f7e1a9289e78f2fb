//! Why a new password was refused, apart from the policy that refuses it,
//! so the engine's error type can name it without depending on the
//! policy code, which itself answers with engine errors.

/// Why a new password was refused, with Auth0's error names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejection {
    /// Too short or too simple; carries the policy description.
    #[error("PasswordStrengthError: Password is too weak")]
    TooWeak(String),
    #[error("PasswordDictionaryError: Password is too common")]
    Dictionary,
    #[error("PasswordNoUserInfoError: Password is based on user information")]
    PersonalInfo,
    #[error("PasswordHistoryError: Password has previously been used")]
    History,
}

impl PasswordRejection {
    /// Auth0's error name (`PasswordStrengthError`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::TooWeak(_) => "PasswordStrengthError",
            Self::Dictionary => "PasswordDictionaryError",
            Self::PersonalInfo => "PasswordNoUserInfoError",
            Self::History => "PasswordHistoryError",
        }
    }

    /// The sentence after the name.
    pub fn description(&self) -> &'static str {
        match self {
            Self::TooWeak(_) => "Password is too weak",
            Self::Dictionary => "Password is too common",
            Self::PersonalInfo => "Password is based on user information",
            Self::History => "Password has previously been used",
        }
    }
}
