//! Large files: multipart uploads straight to the object store. The server plans the parts,
//! presigns each one for its exact size, and completes only when the store holds every part
//! at its planned size, so the object's size is the declared (and reserved) size.

mod incomplete;
mod service;
mod store;

pub use incomplete::{Incomplete, MAX_LISTED};
pub use service::{Multiparts, PartsListing, PresignedPart, UploadInstructions};
pub use store::MultipartStore;

use serde::Serialize;

use crate::CoreError;

pub const MIB: u64 = 1 << 20;
/// The smallest part the server plans (S3's own minimum is 5 MiB for all but the last part).
pub const MIN_PART_SIZE: u64 = 8 * MIB;
/// S3's limit on the parts of one upload.
pub const MAX_PARTS: u64 = 10_000;
/// S3's limit on one object (5 TiB).
pub const MAX_OBJECT_BYTES: u64 = 5 << 40;
/// S3's limit on one PUT (5 GiB): above it, only multipart works.
pub const MAX_SINGLE_PUT_BYTES: u64 = 5 << 30;
/// Part URLs one request may ask for: bounds the work and the answer of one call.
pub const MAX_PARTS_PER_REQUEST: usize = 100;

/// A part S3 already holds for a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPart {
    pub number: u32,
    pub size: u64,
    /// Without quotes.
    pub etag: String,
}

/// A part of a completion: its number and the ETag S3 gave it (without quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartTag {
    pub number: u32,
    pub etag: String,
}

/// A pending file's multipart upload, as the record keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartUpload {
    /// The store's id of the upload: never shown to clients (it is no credential, but useless
    /// to them).
    pub upload_id: String,
    pub part_size: u64,
    pub part_count: u32,
}

/// How a file of `size` bytes is cut: every part `part_size` bytes, the last the remainder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    pub size: u64,
    pub part_size: u64,
    pub part_count: u32,
}

impl PartPlan {
    /// The smallest whole number of MiB, at least [`MIN_PART_SIZE`], that keeps the count at
    /// most [`MAX_PARTS`].
    pub fn for_size(size: u64) -> Self {
        let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        let part_size = needed.max(MIN_PART_SIZE);
        Self {
            size,
            part_size,
            part_count: size.div_ceil(part_size).max(1) as u32,
        }
    }

    pub fn of(size: u64, upload: &MultipartUpload) -> Self {
        Self {
            size,
            part_size: upload.part_size,
            part_count: upload.part_count,
        }
    }

    /// The exact length of part `number` (1-based): the last part holds the remainder.
    pub fn part_len(&self, number: u32) -> u64 {
        if number == 0 || number > self.part_count {
            return 0;
        }
        if number == self.part_count {
            self.size - self.part_size * u64::from(self.part_count - 1)
        } else {
            self.part_size
        }
    }

    /// Part numbers a client asks URLs for: 1 to 100 distinct numbers in 1..=part_count.
    pub fn check_numbers(&self, numbers: &[u32]) -> Result<(), CoreError> {
        if numbers.is_empty() || numbers.len() > MAX_PARTS_PER_REQUEST {
            return Err(CoreError::invalid(
                "invalid_request",
                format!("part_numbers must hold 1 to {MAX_PARTS_PER_REQUEST} numbers"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for &n in numbers {
            if n == 0 || n > self.part_count {
                return Err(CoreError::InvalidPartNumber {
                    number: n,
                    part_count: self.part_count,
                });
            }
            if !seen.insert(n) {
                return Err(CoreError::invalid(
                    "invalid_request",
                    format!("part {n} is asked for twice"),
                ));
            }
        }
        Ok(())
    }

    /// Part numbers a completion names: each in 1..=part_count (an ETag for a part the plan does
    /// not have is a client's mistake, not a missing part).
    pub fn check_tags(&self, given: &[PartTag]) -> Result<(), CoreError> {
        match given
            .iter()
            .find(|g| g.number == 0 || g.number > self.part_count)
        {
            Some(g) => Err(CoreError::InvalidPartNumber {
                number: g.number,
                part_count: self.part_count,
            }),
            None => Ok(()),
        }
    }

    /// What a completion needs, from what the store holds (`stored`) and what the client says
    /// it uploaded (`given`, optional): every part present at its planned length, and no part
    /// the client names with an ETag the store does not hold.
    pub fn check_complete(
        &self,
        stored: &[StoredPart],
        given: &[PartTag],
    ) -> Result<Vec<PartTag>, Incomplete> {
        let by_number: std::collections::HashMap<u32, &StoredPart> =
            stored.iter().map(|p| (p.number, p)).collect();
        let mut out = Incomplete::default();
        let mut tags = Vec::with_capacity(self.part_count as usize);
        for n in 1..=self.part_count {
            match by_number.get(&n) {
                None => out.missing.push(n),
                Some(p) if p.size != self.part_len(n) => out.wrong_size.push(n),
                Some(p) => tags.push(PartTag {
                    number: n,
                    etag: p.etag.clone(),
                }),
            }
        }
        for g in given {
            let held = by_number.get(&g.number).map(|p| p.etag.as_str());
            if held.is_some_and(|etag| etag != unquote(&g.etag)) {
                out.mismatched.push(g.number);
            }
        }
        if out.is_empty() {
            Ok(tags)
        } else {
            out.mismatched.sort_unstable();
            out.mismatched.dedup();
            Err(out.capped())
        }
    }
}

/// ETags travel quoted in HTTP headers; the API takes and gives them without quotes.
pub fn unquote(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(n: u32, size: u64, etag: &str) -> StoredPart {
        StoredPart {
            number: n,
            size,
            etag: etag.into(),
        }
    }

    #[test]
    fn parts_are_at_least_8_mib_and_at_most_ten_thousand() {
        let p = PartPlan::for_size(200 * MIB);
        assert_eq!((p.part_size, p.part_count), (8 * MIB, 25));
        let p = PartPlan::for_size(200 * MIB + 1);
        assert_eq!((p.part_size, p.part_count), (8 * MIB, 26));
        assert_eq!(p.part_len(26), 1);
        assert_eq!(p.part_len(25), 8 * MIB);
        assert_eq!(p.part_len(27), 0);
        // 5 TiB: 525 MiB parts keep the count under the limit.
        let p = PartPlan::for_size(MAX_OBJECT_BYTES);
        assert!(u64::from(p.part_count) <= MAX_PARTS, "{p:?}");
        assert_eq!(p.part_size % MIB, 0);
        assert!(p.part_size * u64::from(p.part_count) >= MAX_OBJECT_BYTES);
        // The last part is never empty and the parts add up to the size.
        for size in [
            MIB,
            8 * MIB,
            8 * MIB + 1,
            80_000 * MIB + 7,
            MAX_OBJECT_BYTES,
        ] {
            let p = PartPlan::for_size(size);
            let total: u64 = (1..=p.part_count).map(|n| p.part_len(n)).sum();
            assert_eq!(total, size);
            assert!(p.part_len(p.part_count) > 0);
        }
    }

    #[test]
    fn part_numbers_must_be_in_range_distinct_and_few() {
        let p = PartPlan::for_size(200 * MIB);
        assert!(p.check_numbers(&[1, 25]).is_ok());
        for bad in [0, 26] {
            let e = p.check_numbers(&[bad]).unwrap_err();
            assert_eq!(e.code(), "invalid_part_number");
        }
        assert_eq!(p.check_numbers(&[]).unwrap_err().code(), "invalid_request");
        assert_eq!(
            p.check_numbers(&[2, 2]).unwrap_err().code(),
            "invalid_request"
        );
        let many: Vec<u32> = (1..=101).collect();
        let big = PartPlan::for_size(2000 * MIB);
        assert_eq!(
            big.check_numbers(&many).unwrap_err().code(),
            "invalid_request"
        );
    }

    #[test]
    fn completion_needs_every_part_at_its_size() {
        let p = PartPlan::for_size(17 * MIB); // 8 + 8 + 1
        let all = vec![
            stored(1, 8 * MIB, "a"),
            stored(2, 8 * MIB, "b"),
            stored(3, MIB, "c"),
        ];
        let tags = p.check_complete(&all, &[]).unwrap();
        assert_eq!(tags.len(), 3);
        assert_eq!(tags[2].etag, "c");

        let e = p.check_complete(&all[..2], &[]).unwrap_err();
        assert_eq!(e.missing, vec![3]);

        let resized = vec![
            stored(1, 8 * MIB, "a"),
            stored(2, 8 * MIB - 1, "b"),
            stored(3, MIB + 1, "c"),
        ];
        let e = p.check_complete(&resized, &[]).unwrap_err();
        assert_eq!(e.wrong_size, vec![2, 3]);

        let given = [PartTag {
            number: 2,
            etag: "\"other\"".into(),
        }];
        let e = p.check_complete(&all, &given).unwrap_err();
        assert_eq!(e.mismatched, vec![2]);
        let given = [PartTag {
            number: 2,
            etag: "\"b\"".into(),
        }];
        assert!(p.check_complete(&all, &given).is_ok());
    }
}
