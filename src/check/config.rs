//! `trig.toml`: the project file. Unknown keys are errors, so a typo never
//! silently turns a setting off. Paths are relative to the file's folder;
//! resolving them is the binary's job (the library does no I/O).
//! The format is documented in docs/config.md.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::syntax::parser::parse_duration;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub project: ProjectSection,
    #[serde(default)]
    pub catalogs: CatalogSection,
    #[serde(default)]
    pub channels: ChannelsSection,
    #[serde(default)]
    pub caps: CapsSection,
    #[serde(default)]
    pub lint: LintSection,
    #[serde(default)]
    pub runtime: RuntimeSection,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSection {
    /// Default customer time zone (IANA name) for quiet hours.
    pub timezone: Option<String>,
    /// Default template language, e.g. `en_US`.
    pub language: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSection {
    /// Meta Graph API `GET …/message_templates` exports.
    #[serde(default)]
    pub whatsapp: Vec<String>,
    /// The plain template file for the other channels.
    pub templates: Option<String>,
    /// Optional event schema (tracking plan).
    pub schema: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelsSection {
    #[serde(default)]
    pub whatsapp: WhatsappChannel,
    #[serde(default)]
    pub sms: SmsChannel,
    #[serde(default)]
    pub email: ChannelEligibility,
    #[serde(default)]
    pub viber: ChannelEligibility,
    #[serde(default)]
    pub rcs: ChannelEligibility,
}

/// Customer attributes a step needs to be usable. The runtime drops a step
/// whose customer lacks one; naming `consent` also satisfies the
/// `missing-consent` lint, since the runtime enforces it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelEligibility {
    /// Attribute that must be true (opt-in, consent).
    pub consent: Option<String>,
    /// Attribute that must be present and non-empty (phone, email address).
    pub contact: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsappChannel {
    pub consent: Option<String>,
    pub contact: Option<String>,
    /// The inbound-message event that opens the 24 h reply window.
    pub inbound_event: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsChannel {
    pub consent: Option<String>,
    pub contact: Option<String>,
    /// Warn above this many segments (default 3).
    pub max_segments: Option<usize>,
    /// Opt-out wording a marketing SMS must contain (default `["STOP"]`).
    pub opt_out_keywords: Option<Vec<String>>,
}

/// Caps such as `"3 per 7d"`: on all messages, per channel, per tag.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapsSection {
    pub all: Option<String>,
    #[serde(default)]
    pub channel: BTreeMap<String, String>,
    #[serde(default)]
    pub tag: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintSection {
    /// Codes or names of warnings and notes to silence project-wide.
    #[serde(default)]
    pub allow: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeSection {
    /// Default `1m`.
    pub allowed_lateness: Option<String>,
    /// Default `1d`.
    pub max_future: Option<String>,
    /// Default `1d`: events whose `id` was seen within it are dropped.
    pub dedupe_horizon: Option<String>,
}

/// A parsed cap: at most `count` messages per `per_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    pub count: u32,
    pub per_ms: u64,
}

/// A problem in the project file: message, byte span if known, help.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub message: String,
    pub span: Option<(usize, usize)>,
    pub help: Option<String>,
}

pub const DEFAULT_INBOUND_EVENT: &str = "whatsapp.message.received";
pub const DEFAULT_SMS_MAX_SEGMENTS: usize = 3;

impl Config {
    /// Parses and validates `trig.toml`.
    pub fn parse(text: &str) -> Result<Config, Vec<ConfigError>> {
        let config: Config = toml::from_str(text).map_err(|e| {
            vec![ConfigError {
                message: e.message().to_string(),
                span: e.span().map(|r| (r.start, r.end)),
                help: Some("see docs/config.md for every key of trig.toml".into()),
            }]
        })?;
        let errors = config.validate(text);
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }

    fn validate(&self, text: &str) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        let locate = |needle: &str| text.find(needle).map(|i| (i, i + needle.len()));
        if let Some(tz) = &self.project.timezone {
            if tz.parse::<chrono_tz::Tz>().is_err() {
                errors.push(ConfigError {
                    message: format!("`{tz}` is not a known time zone"),
                    span: locate(tz),
                    help: Some(
                        "use an IANA time zone name such as `Europe/Madrid` or `America/New_York`"
                            .into(),
                    ),
                });
            }
        }
        let caps = self
            .caps
            .all
            .iter()
            .chain(self.caps.channel.values())
            .chain(self.caps.tag.values());
        for cap in caps {
            if let Err(message) = parse_cap(cap) {
                errors.push(ConfigError {
                    message,
                    span: locate(cap),
                    help: Some("a cap reads `N per DURATION`, such as `3 per 7d`".into()),
                });
            }
        }
        for name in &self.lint.allow {
            if crate::diag::Code::parse(name).is_none() {
                errors.push(ConfigError {
                    message: format!("`{name}` in `[lint] allow` is not a diagnostic code or name"),
                    span: locate(name),
                    help: Some("use a code such as `T0107` or a name such as `unnamed-rule`; `trig explain` lists them".into()),
                });
            }
        }
        for channel in self.caps.channel.keys() {
            if !crate::syntax::lexer::CHANNELS.contains(&channel.as_str()) {
                errors.push(ConfigError {
                    message: format!("`{channel}` in `[caps.channel]` is not a channel"),
                    span: locate(channel),
                    help: Some(format!(
                        "the channels are {}",
                        crate::syntax::lexer::CHANNELS.join(", ")
                    )),
                });
            }
        }
        for (key, value) in [
            ("allowed_lateness", &self.runtime.allowed_lateness),
            ("max_future", &self.runtime.max_future),
            ("dedupe_horizon", &self.runtime.dedupe_horizon),
        ] {
            if let Some(Err((message, help))) = value.as_deref().map(parse_duration) {
                errors.push(ConfigError {
                    message: format!("runtime.{key}: {message}"),
                    span: value.as_deref().and_then(locate),
                    help: Some(help),
                });
            }
        }
        errors
    }

    pub fn inbound_event(&self) -> &str {
        self.channels
            .whatsapp
            .inbound_event
            .as_deref()
            .unwrap_or(DEFAULT_INBOUND_EVENT)
    }

    pub fn sms_max_segments(&self) -> usize {
        self.channels
            .sms
            .max_segments
            .unwrap_or(DEFAULT_SMS_MAX_SEGMENTS)
    }

    pub fn opt_out_keywords(&self) -> Vec<String> {
        self.channels
            .sms
            .opt_out_keywords
            .clone()
            .unwrap_or_else(|| vec!["STOP".into()])
    }

    /// The consent attribute named for a channel, if any.
    pub fn consent_attribute(&self, channel: &str) -> Option<&str> {
        let c = &self.channels;
        match channel {
            "whatsapp" => c.whatsapp.consent.as_deref(),
            "sms" => c.sms.consent.as_deref(),
            "email" => c.email.consent.as_deref(),
            "viber" => c.viber.consent.as_deref(),
            "rcs" => c.rcs.consent.as_deref(),
            _ => None,
        }
    }

    /// The contact attribute named for a channel, if any.
    pub fn contact_attribute(&self, channel: &str) -> Option<&str> {
        let c = &self.channels;
        match channel {
            "whatsapp" => c.whatsapp.contact.as_deref(),
            "sms" => c.sms.contact.as_deref(),
            "email" => c.email.contact.as_deref(),
            "viber" => c.viber.contact.as_deref(),
            "rcs" => c.rcs.contact.as_deref(),
            _ => None,
        }
    }

    /// Whether a warning or note is silenced project-wide by `[lint] allow`.
    pub fn allows(&self, code: crate::diag::Code) -> bool {
        self.lint
            .allow
            .iter()
            .any(|a| a == code.name() || a.eq_ignore_ascii_case(&code.id()))
    }
}

/// `"3 per 7d"` → a [`Cap`].
pub fn parse_cap(s: &str) -> Result<Cap, String> {
    let mut words = s.split_whitespace();
    let (Some(n), Some("per"), Some(d), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(format!("`{s}` is not a cap"));
    };
    let count = n
        .parse::<u32>()
        .map_err(|_| format!("`{n}` is not a whole number in cap `{s}`"))?;
    let per_ms = parse_duration(d).map_err(|(m, _)| m)?;
    Ok(Cap { count, per_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_a_location() {
        let errs = Config::parse("[project]\ntimezon = \"UTC\"\n").unwrap_err();
        assert!(errs[0].message.contains("timezon"), "{errs:?}");
        assert!(errs[0].span.is_some());
    }

    #[test]
    fn caps_and_zones_are_validated() {
        let errs =
            Config::parse("[project]\ntimezone = \"Mars/Base\"\n[caps]\nall = \"3 every 7d\"\n")
                .unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(
            parse_cap("3 per 7d"),
            Ok(Cap {
                count: 3,
                per_ms: 7 * 86_400_000
            })
        );
    }

    #[test]
    fn defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.inbound_event(), "whatsapp.message.received");
        assert_eq!(c.sms_max_segments(), 3);
        assert_eq!(c.opt_out_keywords(), vec!["STOP".to_string()]);
    }
}
