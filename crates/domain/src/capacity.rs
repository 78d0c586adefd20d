//! Bookable minutes per resource and day, the denominator of utilization.

use std::collections::BTreeMap;

use crate::ids::{InvalidResourceId, ResourceId};

/// Most minutes a day can hold.
pub const MINUTES_PER_DAY: u32 = 1_440;

/// Daily capacity in minutes per resource, from a list such as
/// `primary:480,piano:600`. Resources not listed have no capacity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceCapacity(BTreeMap<ResourceId, u32>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCapacity {
    #[error("capacity entry {entry:?} is invalid: write resource:minutes, such as piano:600")]
    Shape { entry: String },
    #[error("capacity entry {entry:?} has an invalid resource id: {reason}")]
    Resource {
        entry: String,
        reason: InvalidResourceId,
    },
    #[error(
        "capacity entry {entry:?} is invalid: minutes must be a whole number from 1 to {MINUTES_PER_DAY}"
    )]
    Minutes { entry: String },
    #[error("capacity for {resource:?} is given twice: keep one entry")]
    Duplicate { resource: String },
}

impl ResourceCapacity {
    /// Parses a comma-separated `resource:minutes` list; blank entries are
    /// ignored.
    ///
    /// # Errors
    /// `InvalidCapacity` names the entry and what is wrong with it.
    pub fn parse(value: &str) -> Result<Self, InvalidCapacity> {
        let mut map = BTreeMap::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, minutes) = entry.split_once(':').ok_or_else(|| InvalidCapacity::Shape {
                entry: entry.to_owned(),
            })?;
            let id = ResourceId::parse(id.trim()).map_err(|reason| InvalidCapacity::Resource {
                entry: entry.to_owned(),
                reason,
            })?;
            let minutes = minutes
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|m| (1..=MINUTES_PER_DAY).contains(m))
                .ok_or_else(|| InvalidCapacity::Minutes {
                    entry: entry.to_owned(),
                })?;
            if map.insert(id.clone(), minutes).is_some() {
                return Err(InvalidCapacity::Duplicate {
                    resource: id.to_string(),
                });
            }
        }
        Ok(Self(map))
    }

    pub fn minutes(&self, id: &str) -> Option<u32> {
        ResourceId::parse(id).ok().and_then(|id| self.0.get(&id).copied())
    }

    /// Booked minutes over capacity, from 0 to 1; 0 where no capacity is
    /// configured, and 1 when bookings fill or exceed it.
    pub fn utilization(&self, id: &str, booked_minutes: f64) -> f64 {
        self.minutes(id).map_or(0.0, |capacity| {
            (booked_minutes / f64::from(capacity)).clamp(0.0, 1.0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_parses_list() {
        let capacity = ResourceCapacity::parse("primary:480, piano:600").unwrap();
        assert_eq!(capacity.minutes("primary"), Some(480));
        assert_eq!(capacity.minutes("piano"), Some(600));
        assert_eq!(capacity.minutes("drums"), None);
        assert!((capacity.utilization("piano", 300.0) - 0.5).abs() < 1e-12);
        assert!(
            capacity.utilization("drums", 300.0).abs() < 1e-12,
            "no capacity: 0"
        );
    }

    #[test]
    fn capacity_rejects_bad_entries() {
        for bad in [
            "piano",
            "piano:",
            "piano:0",
            "piano:1441",
            "piano:ten",
            "room A:60",
            "piano:60,piano:90",
        ] {
            assert!(ResourceCapacity::parse(bad).is_err(), "{bad:?}");
        }
    }
}
