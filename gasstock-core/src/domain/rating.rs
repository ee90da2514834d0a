//! A feedback rating from 1 to 5.

use serde::Serialize;

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Rating(u8);

impl Rating {
    pub fn new(value: i64) -> Result<Self, Error> {
        match u8::try_from(value) {
            Ok(v @ 1..=5) => Ok(Rating(v)),
            _ => Err(Error::invalid("rating", "must be a whole number from 1 to 5")),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_to_five() {
        for ok in 1..=5 {
            assert_eq!(Rating::new(ok).unwrap().get() as i64, ok);
        }
        for bad in [0, 6, -1, 256, i64::MAX] {
            assert!(Rating::new(bad).is_err(), "{bad}");
        }
    }
}
