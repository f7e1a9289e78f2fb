//! Auth0's password policies for database connections: the levels `none`,
//! `low`, `fair`, `good` and `excellent`, plus `min_length`. Error messages
//! describe the policy, as Auth0's `invalid_password` does.

use serde_json::Value;

/// The rules a database connection applies to new passwords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub level: Level,
    pub min_length: usize,
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
        Self {
            level,
            min_length: level_min.max(configured),
        }
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
        // 72+ bytes are fine for argon2id; cap to keep hashing bounded.
        if length < self.min_length || password.len() > 1_024 {
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
}
