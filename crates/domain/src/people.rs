//! Names of teachers, students and resources, and the contact email of a
//! student. Values are kept exactly as given (no trimming or case folding), so
//! what the desk typed is what it reads back.

use std::fmt;

/// Longest accepted name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest accepted email address, in bytes (the SMTP path limit).
pub const MAX_EMAIL_LEN: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidName {
    #[error("name is blank: enter at least one visible character")]
    Blank,
    #[error("name has {chars} characters: use at most {MAX_NAME_CHARS}")]
    TooLong { chars: usize },
    #[error("name contains a control character (such as a line break or tab): remove it")]
    ControlCharacter,
}

/// A display name: not blank, at most `MAX_NAME_CHARS` characters, no control
/// characters. Any other Unicode, emoji included, is kept byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// # Errors
    /// `InvalidName` says which rule the value breaks.
    pub fn parse(value: &str) -> Result<Self, InvalidName> {
        if value.trim().is_empty() {
            return Err(InvalidName::Blank);
        }
        let chars = value.chars().count();
        if chars > MAX_NAME_CHARS {
            return Err(InvalidName::TooLong { chars });
        }
        if value.chars().any(char::is_control) {
            return Err(InvalidName::ControlCharacter);
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("email {value:?} is invalid: use one address such as guardian@example.com, with no spaces")]
pub struct InvalidEmail {
    pub value: String,
}

/// A contact address of the form `local@domain.tld`. The check is deliberately
/// shallow: Stripe and the mail server are the authorities on deliverability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// # Errors
    /// `InvalidEmail` names the rejected value.
    pub fn parse(value: &str) -> Result<Self, InvalidEmail> {
        let invalid = || InvalidEmail {
            value: value.to_owned(),
        };
        if value.len() > MAX_EMAIL_LEN || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let domain_valid = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_valid {
            return Err(invalid());
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keeps_emoji_and_spaces() {
        let raw = " 🎹 Zoë 李 ";
        assert_eq!(PersonName::parse(raw).unwrap().as_str(), raw);
    }

    #[test]
    fn name_rejects_blank_long_and_control() {
        assert_eq!(PersonName::parse("  "), Err(InvalidName::Blank));
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        assert!(matches!(
            PersonName::parse(&long),
            Err(InvalidName::TooLong { .. })
        ));
        assert_eq!(PersonName::parse("a\nb"), Err(InvalidName::ControlCharacter));
    }

    #[test]
    fn email_accepts_plain_addresses() {
        assert!(Email::parse("guardian@example.com").is_ok());
        assert!(Email::parse("a.b+lessons@mail.example.co.uk").is_ok());
    }

    #[test]
    fn email_rejects_malformed() {
        for bad in [
            "",
            "no-at.example.com",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@@example.com",
            "a@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
