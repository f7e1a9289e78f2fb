//! Options of the passwordless strategies: `email` (one-time code or magic
//! link) and `sms` (one-time code via Twilio or a generic HTTP gateway).
//!
//! Code generation, hashing, expiry and attempt limits belong to the engine;
//! these options only configure delivery and the code's shape.

use super::common::{HttpUrl, Secret, SetUserRootAttributes, UpstreamParams};
use super::validation::{OptionsError, StrategyOptions};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The one-time code's shape: lifetime in seconds and number of digits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totp {
    /// Seconds the code stays valid, 30..=86400 (default 180).
    pub time_step: Option<u32>,
    /// Digits, 4..=10 (default 6).
    pub length: Option<u32>,
}

impl Totp {
    fn check(&self) -> Result<(), OptionsError> {
        if let Some(time_step) = self.time_step
            && !(30..=86_400).contains(&time_step)
        {
            return Err(OptionsError::at(
                "totp.time_step",
                "must be between 30 and 86400 seconds",
            ));
        }
        if let Some(length) = self.length
            && !(4..=10).contains(&length)
        {
            return Err(OptionsError::at("totp.length", "must be between 4 and 10"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailSyntax {
    Liquid,
}

/// The message sent to the user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailTemplate {
    pub from: Option<String>,
    pub subject: Option<String>,
    pub syntax: Option<EmailSyntax>,
    pub body: Option<String>,
}

/// Options of an `email` connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailOptions {
    pub name: Option<String>,
    pub email: Option<EmailTemplate>,
    pub totp: Option<Totp>,
    /// Parameters added to magic links' authorization requests.
    #[serde(rename = "authParams")]
    pub auth_params: Option<Map<String, Value>>,
    pub disable_signup: Option<bool>,
    pub brute_force_protection: Option<bool>,
    pub set_user_root_attributes: Option<SetUserRootAttributes>,
    pub non_persistent_attrs: Option<Vec<String>>,
    pub upstream_params: Option<UpstreamParams>,
}

impl StrategyOptions for EmailOptions {
    fn check(&self) -> Result<(), OptionsError> {
        self.totp.as_ref().map_or(Ok(()), Totp::check)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsProvider {
    /// Twilio's Messages API (the default when absent).
    Twilio,
    /// A generic HTTP gateway at `gateway_url`.
    SmsGateway,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsSyntax {
    /// Auth0's legacy templates (`@@password@@`).
    MdWithMacros,
    /// Liquid templates (`{{ code }}`), Auth0's current SMS syntax.
    Liquid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GatewayAuthMethod {
    /// A JWT signed with `secret` (HS256), sent as a bearer token.
    Bearer,
}

/// How Vestibule authenticates to the SMS gateway.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayAuthentication {
    pub method: Option<GatewayAuthMethod>,
    pub subject: Option<String>,
    pub audience: Option<String>,
    /// Secret.
    pub secret: Option<Secret>,
    pub secret_base64_encoded: Option<bool>,
}

/// Options of an `sms` connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsOptions {
    pub name: Option<String>,
    pub provider: Option<SmsProvider>,
    pub twilio_sid: Option<String>,
    /// Secret.
    pub twilio_token: Option<Secret>,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub syntax: Option<SmsSyntax>,
    pub template: Option<String>,
    pub totp: Option<Totp>,
    #[serde(rename = "authParams")]
    pub auth_params: Option<Map<String, Value>>,
    pub gateway_url: Option<HttpUrl>,
    pub gateway_authentication: Option<GatewayAuthentication>,
    /// Forward the requester's IP and user agent to the gateway.
    pub forward_req_info: Option<bool>,
    pub disable_signup: Option<bool>,
    pub brute_force_protection: Option<bool>,
    pub upstream_params: Option<UpstreamParams>,
}

impl StrategyOptions for SmsOptions {
    fn check(&self) -> Result<(), OptionsError> {
        if let Some(totp) = &self.totp {
            totp.check()?;
        }
        match self.provider.unwrap_or(SmsProvider::Twilio) {
            SmsProvider::Twilio => {
                if self.twilio_sid.is_none() {
                    return Err(OptionsError::at("twilio_sid", "is required for Twilio"));
                }
                if self.twilio_token.is_none() {
                    return Err(OptionsError::at("twilio_token", "is required for Twilio"));
                }
                if self.from.is_none() && self.messaging_service_sid.is_none() {
                    return Err(OptionsError::at(
                        "from",
                        "is required for Twilio unless `messaging_service_sid` is given",
                    ));
                }
            }
            SmsProvider::SmsGateway => {
                if self.gateway_url.is_none() {
                    return Err(OptionsError::at(
                        "gateway_url",
                        "is required for `sms_gateway`",
                    ));
                }
                if let Some(auth) = &self.gateway_authentication
                    && auth.secret.is_none()
                {
                    return Err(OptionsError::at(
                        "gateway_authentication.secret",
                        "is required with `gateway_authentication`",
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::options::tests::{assert_rejected, full_options, validate};
    use crate::strategy::Strategy;
    use serde_json::json;

    #[test]
    fn email_minimal_gets_code_and_brute_force_defaults() {
        let out = validate(Strategy::Email, json!({}));
        assert_eq!(
            out,
            json!({"brute_force_protection": true, "totp": {"time_step": 180, "length": 6}})
        );
    }

    #[test]
    fn email_full_options_round_trip() {
        let full = full_options(Strategy::Email);
        assert_eq!(validate(Strategy::Email, full.clone()), full);
    }

    #[test]
    fn email_checks_code_shape_and_syntax() {
        assert_rejected(
            Strategy::Email,
            json!({"totp": {"time_step": 180, "length": 3}}),
            "options.totp.length",
        );
        assert_rejected(
            Strategy::Email,
            json!({"totp": {"time_step": 5}}),
            "options.totp.time_step",
        );
        assert_rejected(
            Strategy::Email,
            json!({"email": {"syntax": "handlebars"}}),
            "options.email.syntax",
        );
        assert_rejected(
            Strategy::Email,
            json!({"email": {"html": "<p/>"}}),
            "options.email.html",
        );
    }

    #[test]
    fn sms_twilio_minimal_and_full() {
        let minimal = json!({"twilio_sid": "AC1", "twilio_token": "t", "from": "+15550100"});
        let out = validate(Strategy::Sms, minimal);
        assert_eq!(out["twilio_sid"], "AC1");
        assert_eq!(out["totp"], json!({"time_step": 180, "length": 6}));
        let full = full_options(Strategy::Sms);
        assert_eq!(validate(Strategy::Sms, full.clone()), full);
    }

    #[test]
    fn sms_takes_both_of_auth0s_template_syntaxes() {
        let base = json!({"twilio_sid": "AC1", "twilio_token": "t", "from": "+15550100"});
        for syntax in ["liquid", "md_with_macros"] {
            let mut options = base.clone();
            options["syntax"] = json!(syntax);
            options["template"] = json!("Your code is {{ code }}");
            assert_eq!(validate(Strategy::Sms, options)["syntax"], syntax);
        }
        let mut options = base;
        options["syntax"] = json!("handlebars");
        assert_rejected(Strategy::Sms, options, "options.syntax");
    }

    #[test]
    fn sms_twilio_requirements() {
        assert_rejected(
            Strategy::Sms,
            json!({"twilio_token": "t", "from": "+1"}),
            "options.twilio_sid",
        );
        assert_rejected(
            Strategy::Sms,
            json!({"twilio_sid": "AC1", "from": "+1"}),
            "options.twilio_token",
        );
        assert_rejected(
            Strategy::Sms,
            json!({"twilio_sid": "AC1", "twilio_token": "t"}),
            "options.from",
        );
        validate(
            Strategy::Sms,
            json!({"twilio_sid": "AC1", "twilio_token": "t", "messaging_service_sid": "MG1"}),
        );
    }

    #[test]
    fn sms_gateway_requirements() {
        assert_rejected(
            Strategy::Sms,
            json!({"provider": "sms_gateway"}),
            "options.gateway_url",
        );
        assert_rejected(
            Strategy::Sms,
            json!({"provider": "sms_gateway", "gateway_url": "http://sms.example/send"}),
            "options.gateway_url",
        );
        validate(
            Strategy::Sms,
            json!({"provider": "sms_gateway", "gateway_url": "http://localhost:8025/send"}),
        );
        assert_rejected(
            Strategy::Sms,
            json!({"provider": "sms_gateway", "gateway_url": "https://sms.example/send",
                   "gateway_authentication": {"method": "bearer", "audience": "a"}}),
            "options.gateway_authentication.secret",
        );
        assert_rejected(
            Strategy::Sms,
            json!({"provider": "vonage"}),
            "options.provider",
        );
    }
}
