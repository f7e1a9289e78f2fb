//! Auth0's password policies for database connections: the levels `none`,
//! `low`, `fair`, `good` and `excellent`, `min_length`, `password_history`,
//! `password_dictionary` (a bundled list of common passwords plus the
//! connection's own words, compared case-insensitively) and
//! `password_no_personal_info`. Strength errors describe the policy, as
//! Auth0's `invalid_password` does. The history check needs the password
//! hasher, so it lives in [`check_history`].

use crate::Engine;
use crate::error::Result;
pub use crate::login::password_rejection::PasswordRejection;
use model::User;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::LazyLock;

/// The longest password any policy accepts, bytes. 72+ bytes are fine for
/// argon2id (no bcrypt truncation); the cap keeps hashing inputs bounded,
/// and lets a login with a longer password fail without a hash.
pub const MAX_PASSWORD_BYTES: usize = 1_024;

/// The rules a database connection applies to new passwords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub level: Level,
    pub min_length: usize,
    /// How many previous passwords (the current one included) may not be
    /// reused; 0 when `password_history` is off.
    pub history_size: usize,
    /// `Some` when `password_dictionary` is on: the connection's own words,
    /// lowercased (the bundled list always applies then).
    pub dictionary: Option<Vec<String>>,
    pub no_personal_info: bool,
}

/// The bundled list (`common_passwords.txt`), lowercased.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// Whether a password is on the bundled list of common passwords.
pub fn is_common_password(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.to_lowercase().as_str())
}

/// The parts of a profile a password must not contain.
#[derive(Debug, Clone, Copy, Default)]
pub struct PersonalInfo<'a> {
    pub email: Option<&'a str>,
    pub username: Option<&'a str>,
    pub name: Option<&'a str>,
    pub nickname: Option<&'a str>,
    pub given_name: Option<&'a str>,
    pub family_name: Option<&'a str>,
}

impl<'a> PersonalInfo<'a> {
    pub fn of(user: &'a User) -> Self {
        Self {
            email: user.email.as_deref(),
            username: user.username.as_deref(),
            name: user.name.as_deref(),
            nickname: user.nickname.as_deref(),
            given_name: user.given_name.as_deref(),
            family_name: user.family_name.as_deref(),
        }
    }

    /// Lowercased fragments of at least 3 characters: the email's local
    /// part, the username, the nickname and each word of the names.
    fn fragments(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some(email) = self.email {
            out.push(email.split('@').next().unwrap_or_default().to_owned());
        }
        out.extend(self.username.map(str::to_owned));
        out.extend(self.nickname.map(str::to_owned));
        for name in [self.name, self.given_name, self.family_name]
            .into_iter()
            .flatten()
        {
            out.extend(name.split_whitespace().map(str::to_owned));
        }
        out.into_iter()
            .map(|fragment| fragment.trim().to_lowercase())
            .filter(|fragment| fragment.chars().count() >= 3)
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    None,
    Low,
    Fair,
    Good,
    Excellent,
}

impl PasswordPolicy {
    /// The policy in a connection's (validated) options. New connections
    /// default to `good` (BRIEF §6.5); absent means what Auth0 means: `none`.
    pub fn from_options(options: &Value) -> Self {
        let level = match options.get("passwordPolicy").and_then(Value::as_str) {
            Some("low") => Level::Low,
            Some("fair") => Level::Fair,
            Some("good") => Level::Good,
            Some("excellent") => Level::Excellent,
            _ => Level::None,
        };
        let level_min = match level {
            Level::None => 1,
            Level::Low => 6,
            Level::Fair | Level::Good => 8,
            Level::Excellent => 10,
        };
        let configured = options
            .pointer("/password_complexity_options/min_length")
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0);
        let enabled = |name: &str| {
            options
                .pointer(&format!("/{name}/enable"))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        let history_size = if enabled("password_history") {
            options
                .pointer("/password_history/size")
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(5)
                .min(24)
        } else {
            0
        };
        let dictionary = enabled("password_dictionary").then(|| {
            options
                .pointer("/password_dictionary/dictionary")
                .and_then(Value::as_array)
                .map(|words| {
                    words
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_lowercase)
                        .collect()
                })
                .unwrap_or_default()
        });
        Self {
            level,
            min_length: level_min.max(configured),
            history_size,
            dictionary,
            no_personal_info: enabled("password_no_personal_info"),
        }
    }

    /// Every rule but the history: strength, dictionary, personal info.
    pub fn check_new(
        &self,
        password: &str,
        info: &PersonalInfo<'_>,
    ) -> std::result::Result<(), PasswordRejection> {
        self.check(password).map_err(PasswordRejection::TooWeak)?;
        if let Some(custom) = &self.dictionary {
            let lowered = password.to_lowercase();
            if is_common_password(&lowered) || custom.contains(&lowered) {
                return Err(PasswordRejection::Dictionary);
            }
        }
        if self.no_personal_info {
            let lowered = password.to_lowercase();
            if info
                .fragments()
                .iter()
                .any(|fragment| lowered.contains(fragment.as_str()))
            {
                return Err(PasswordRejection::PersonalInfo);
            }
        }
        Ok(())
    }

    /// The history to store after `user` changes password: the replaced hash
    /// first, kept only as deep as the policy looks (empty when it is off).
    pub fn next_history(&self, user: &User) -> Vec<String> {
        let keep = self.history_size.saturating_sub(1);
        user.password_hash
            .iter()
            .chain(user.password_history.iter())
            .take(keep)
            .cloned()
            .collect()
    }

    /// A sentence describing the policy (shown to users and in API errors).
    pub fn describe(&self) -> String {
        let mut rules = vec![format!("at least {} characters", self.min_length)];
        match self.level {
            Level::None | Level::Low => {}
            Level::Fair => rules.push("lower case letters, upper case letters and numbers".into()),
            Level::Good => rules.push(
                "at least 3 of: lower case letters, upper case letters, numbers, special characters".into(),
            ),
            Level::Excellent => {
                rules.push(
                    "at least 3 of: lower case letters, upper case letters, numbers, special characters".into(),
                );
                rules.push("no more than 2 identical characters in a row".into());
            }
        }
        format!("Password must contain {}", rules.join("; "))
    }

    /// Checks a password; on failure returns the policy description.
    pub fn check(&self, password: &str) -> Result<(), String> {
        let length = password.chars().count();
        if length < self.min_length || password.len() > MAX_PASSWORD_BYTES {
            return Err(self.describe());
        }
        let lower = password.chars().any(char::is_lowercase);
        let upper = password.chars().any(char::is_uppercase);
        let digit = password.chars().any(|c| c.is_ascii_digit());
        let special = password.chars().any(|c| !c.is_alphanumeric());
        let classes = [lower, upper, digit, special]
            .iter()
            .filter(|present| **present)
            .count();
        let ok = match self.level {
            Level::None | Level::Low => true,
            Level::Fair => lower && upper && digit,
            Level::Good => classes >= 3,
            Level::Excellent => classes >= 3 && !has_run_of_three(password),
        };
        if ok { Ok(()) } else { Err(self.describe()) }
    }
}

/// Fails with `History` when `password` matches the user's current password
/// or one of the previous ones the policy remembers.
pub async fn check_history(
    engine: &Engine,
    policy: &PasswordPolicy,
    user: &User,
    password: &str,
) -> Result<std::result::Result<(), PasswordRejection>> {
    if policy.history_size == 0 {
        return Ok(Ok(()));
    }
    let remembered = user
        .password_hash
        .iter()
        .chain(user.password_history.iter())
        .take(policy.history_size);
    for hash in remembered {
        if engine.passwords.verify(password, Some(hash)).await? {
            return Ok(Err(PasswordRejection::History));
        }
    }
    Ok(Ok(()))
}

fn has_run_of_three(password: &str) -> bool {
    let chars: Vec<char> = password.chars().collect();
    chars.windows(3).any(|w| w[0] == w[1] && w[1] == w[2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn levels_follow_auth0() {
        let good = PasswordPolicy::from_options(&json!({"passwordPolicy": "good"}));
        assert!(good.check("Corr3ct-Horse").is_ok());
        assert!(good.check("alllowercase").is_err());
        assert!(good.check("Sh0rt!").is_err());
        let fair = PasswordPolicy::from_options(&json!({"passwordPolicy": "fair"}));
        assert!(fair.check("Abcdefg1").is_ok());
        assert!(fair.check("abcdefg1!").is_err());
        let excellent = PasswordPolicy::from_options(&json!({"passwordPolicy": "excellent"}));
        assert!(excellent.check("Corr3ct-Horsee").is_ok());
        assert!(excellent.check("Corr3ct-Hooorse").is_err());
        let none = PasswordPolicy::from_options(&json!({}));
        assert!(none.check("x").is_ok());
        let longer = PasswordPolicy::from_options(
            &json!({"passwordPolicy": "low", "password_complexity_options": {"min_length": 12}}),
        );
        assert!(longer.check("abcdefghijk").is_err());
        assert!(longer.check("abcdefghijkl").is_ok());
    }

    #[test]
    fn dictionary_is_case_insensitive_and_takes_custom_words() {
        let off = PasswordPolicy::from_options(&json!({}));
        assert!(
            off.check_new("password123", &PersonalInfo::default())
                .is_ok()
        );
        let on = PasswordPolicy::from_options(&json!({
            "password_dictionary": {"enable": true, "dictionary": ["Vestibule2024"]}
        }));
        for common in [
            "password123",
            "PassWord123",
            "qwerty",
            "iloveyou",
            "dragon1",
        ] {
            assert_eq!(
                on.check_new(common, &PersonalInfo::default()),
                Err(PasswordRejection::Dictionary),
                "{common}"
            );
        }
        assert_eq!(
            on.check_new("vestibule2024", &PersonalInfo::default()),
            Err(PasswordRejection::Dictionary)
        );
        assert!(
            on.check_new("x7#Kq!p2-zebra-otter", &PersonalInfo::default())
                .is_ok()
        );
        assert!(COMMON_PASSWORDS.len() > 3_000);
    }

    #[test]
    fn personal_info_fragments_are_refused() {
        let policy = PasswordPolicy::from_options(&json!({
            "password_no_personal_info": {"enable": true}
        }));
        let info = PersonalInfo {
            email: Some("ada.l@example.com"),
            username: Some("countess"),
            name: Some("Ada Lovelace"),
            ..PersonalInfo::default()
        };
        for bad in ["my-ada.l-pass", "COUNTESS!!", "xxlovelacexx"] {
            assert_eq!(
                policy.check_new(bad, &info),
                Err(PasswordRejection::PersonalInfo),
                "{bad}"
            );
        }
        // Two-letter fragments ("Ada" is 3) would refuse too much; "ad" is fine.
        assert!(policy.check_new("bad-horse-battery", &info).is_ok());
        let off = PasswordPolicy::from_options(&json!({}));
        assert!(off.check_new("lovelace", &info).is_ok());
    }

    #[test]
    fn history_keeps_as_many_hashes_as_the_policy_remembers() {
        let mut user = storage_user();
        user.password_hash = Some("h0".into());
        user.password_history = vec!["h1".into(), "h2".into(), "h3".into()];
        let policy = PasswordPolicy::from_options(&json!({
            "password_history": {"enable": true, "size": 3}
        }));
        assert_eq!(policy.history_size, 3);
        assert_eq!(policy.next_history(&user), ["h0", "h1"]);
        let off = PasswordPolicy::from_options(
            &json!({"password_history": {"enable": false, "size": 3}}),
        );
        assert!(off.next_history(&user).is_empty());
    }

    fn storage_user() -> User {
        serde_json::from_value(json!({
            "tenant_id": "t", "user_id": "auth0|1", "connection_id": "con_1",
            "email": null, "email_verified": false, "username": null,
            "phone_number": null, "phone_verified": false, "name": null,
            "nickname": null, "given_name": null, "family_name": null,
            "picture": null, "password_hash": null, "blocked": false,
            "identities": [], "user_metadata": {}, "app_metadata": {},
            "logins_count": 0, "last_login": null, "last_ip": null,
            "created_at": 0, "updated_at": 0
        }))
        .unwrap()
    }
}
