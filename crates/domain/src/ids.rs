//! Resource identifiers, resource kinds and the resource allowlist.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest accepted resource slug, in bytes.
pub const MAX_RESOURCE_ID_LEN: usize = 32;

/// A short, stable slug naming a room or an instrument (`primary`, `piano`,
/// `roomA`): an ASCII letter, then letters, digits, `_` or `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ResourceId(String);

/// The resource that bookings made before multi-resource scheduling belong to.
pub const PRIMARY_RESOURCE: &str = "primary";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("resource id {value:?} is invalid: use 1 to {MAX_RESOURCE_ID_LEN} characters, starting with a letter, then letters, digits, '_' or '-' (for example \"roomA\" or \"grand-piano\")")]
pub struct InvalidResourceId {
    pub value: String,
}

impl ResourceId {
    /// Parses a slug, rejecting anything outside the documented alphabet.
    ///
    /// # Errors
    /// `InvalidResourceId` names the rejected value.
    pub fn parse(value: &str) -> Result<Self, InvalidResourceId> {
        let mut chars = value.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_valid = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !starts_with_letter || !rest_valid || value.len() > MAX_RESOURCE_ID_LEN {
            return Err(InvalidResourceId {
                value: value.to_owned(),
            });
        }
        Ok(Self(value.to_owned()))
    }

    pub fn primary() -> Self {
        Self(PRIMARY_RESOURCE.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ResourceId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// What a resource is: a room lessons happen in, or an instrument they use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Room,
    Instrument,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Room => "room",
            Self::Instrument => "instrument",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("resource kind {value:?} is invalid: use \"room\" or \"instrument\"")]
pub struct InvalidResourceKind {
    pub value: String,
}

impl FromStr for ResourceKind {
    type Err = InvalidResourceKind;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "room" => Ok(Self::Room),
            "instrument" => Ok(Self::Instrument),
            _ => Err(InvalidResourceKind {
                value: value.to_owned(),
            }),
        }
    }
}

/// The resources bookings may use. `Unrestricted` when no allowlist is
/// configured; otherwise creating or moving a booking to any resource outside
/// the list is rejected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ResourceAllowlist {
    #[default]
    Unrestricted,
    Only(Vec<ResourceId>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("resource allowlist entry {entry:?} is invalid: {reason}")]
pub struct InvalidAllowlist {
    pub entry: String,
    pub reason: InvalidResourceId,
}

impl ResourceAllowlist {
    /// Parses a comma-separated list such as `primary,piano,roomA`. Blank
    /// entries are ignored, and an all-blank value means no restriction.
    ///
    /// # Errors
    /// `InvalidAllowlist` names the first entry that is not a valid slug.
    pub fn parse(value: &str) -> Result<Self, InvalidAllowlist> {
        let mut ids = Vec::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let id = ResourceId::parse(entry).map_err(|reason| InvalidAllowlist {
                entry: entry.to_owned(),
                reason,
            })?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Ok(Self::Unrestricted);
        }
        Ok(Self::Only(ids))
    }

    pub fn permits(&self, id: &ResourceId) -> bool {
        match self {
            Self::Unrestricted => true,
            Self::Only(ids) => ids.contains(id),
        }
    }

    pub fn is_enforced(&self) -> bool {
        matches!(self, Self::Only(_))
    }

    /// The allowed ids, empty when unrestricted.
    pub fn ids(&self) -> &[ResourceId] {
        match self {
            Self::Unrestricted => &[],
            Self::Only(ids) => ids,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_id_accepts_slugs() {
        for ok in ["primary", "piano", "roomA", "grand-piano", "studio_b2"] {
            assert!(ResourceId::parse(ok).is_ok(), "{ok} is a valid slug");
        }
    }

    #[test]
    fn resource_id_rejects_non_slugs() {
        let too_long = "a".repeat(MAX_RESOURCE_ID_LEN + 1);
        for bad in ["", "1piano", "room A", "piano!", "flügel", too_long.as_str()] {
            assert!(ResourceId::parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn allowlist_parses_and_ignores_blanks() {
        let list = ResourceAllowlist::parse(" primary, piano ,,piano").unwrap();
        assert_eq!(
            list.ids(),
            &[
                ResourceId::parse("primary").unwrap(),
                ResourceId::parse("piano").unwrap()
            ]
        );
        assert!(list.permits(&ResourceId::parse("piano").unwrap()));
        assert!(!list.permits(&ResourceId::parse("drums").unwrap()));
    }

    #[test]
    fn allowlist_blank_is_unrestricted() {
        assert_eq!(
            ResourceAllowlist::parse(" , ").unwrap(),
            ResourceAllowlist::Unrestricted
        );
    }

    #[test]
    fn allowlist_names_bad_entry() {
        let err = ResourceAllowlist::parse("piano,room A").unwrap_err();
        assert_eq!(err.entry, "room A");
    }
}
