//! Part planning for multipart uploads: the byte range of each part, and which parts still have
//! to be sent given what storage already holds. Pure arithmetic, checked against the server's
//! rule (every part `part_size` bytes but the last, which holds the remainder).

use std::ops::Range;

use crate::wire::ListedPart;

/// How a file of `size` bytes is cut into `part_count` parts of `part_size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    size: u64,
    part_size: u64,
    part_count: u32,
}

impl Layout {
    /// `None` when the figures do not describe `size` (a part count that leaves bytes over, or
    /// an empty last part): the upload cannot be trusted to assemble this file.
    pub fn new(size: u64, part_size: u64, part_count: u32) -> Option<Layout> {
        if size == 0 || part_size == 0 || part_count == 0 {
            return None;
        }
        (size.div_ceil(part_size) == u64::from(part_count)).then_some(Layout {
            size,
            part_size,
            part_count,
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn part_count(&self) -> u32 {
        self.part_count
    }

    /// The bytes of part `n` (1-based) in the file.
    pub fn range(&self, n: u32) -> Range<u64> {
        debug_assert!((1..=self.part_count).contains(&n));
        let start = u64::from(n - 1) * self.part_size;
        start..(start + self.part_size).min(self.size)
    }

    pub fn len(&self, n: u32) -> u64 {
        let r = self.range(n);
        r.end - r.start
    }

    /// Parts storage holds with exactly their planned size (a part of another size is sent
    /// again: the server would refuse to complete with it).
    pub fn good<'a>(&'a self, listed: &'a [ListedPart]) -> impl Iterator<Item = &'a ListedPart> {
        listed
            .iter()
            .filter(|p| (1..=self.part_count).contains(&p.number) && p.size == self.len(p.number))
    }

    /// The part numbers still to send, ascending.
    pub fn missing(&self, listed: &[ListedPart]) -> Vec<u32> {
        let mut have = vec![false; self.part_count as usize];
        for p in self.good(listed) {
            have[(p.number - 1) as usize] = true;
        }
        (1..=self.part_count)
            .filter(|n| !have[(*n - 1) as usize])
            .collect()
    }

    /// Bytes of the given parts.
    pub fn bytes_of(&self, numbers: impl IntoIterator<Item = u32>) -> u64 {
        numbers.into_iter().map(|n| self.len(n)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn part(number: u32, size: u64) -> ListedPart {
        ListedPart {
            number,
            size,
            etag: format!("e{number}"),
        }
    }

    #[test]
    fn ranges_cover_the_file_with_a_short_last_part() {
        // 200 MiB + 5 bytes in 8 MiB parts: 25 full parts and a 5-byte 26th.
        let size = 200 * MIB + 5;
        let l = Layout::new(size, 8 * MIB, 26).unwrap();
        assert_eq!(l.range(1), 0..8 * MIB);
        assert_eq!(l.range(2), 8 * MIB..16 * MIB);
        assert_eq!(l.range(26), 200 * MIB..size);
        assert_eq!(l.len(26), 5);
        let mut next = 0;
        for n in 1..=26 {
            let r = l.range(n);
            assert_eq!(r.start, next, "contiguous");
            next = r.end;
        }
        assert_eq!(next, size);
        assert_eq!(l.bytes_of(1..=26), size);
    }

    #[test]
    fn exact_multiple_has_a_full_last_part() {
        let l = Layout::new(200 * MIB, 8 * MIB, 25).unwrap();
        assert_eq!(l.len(25), 8 * MIB);
        let one = Layout::new(3, 8 * MIB, 1).unwrap();
        assert_eq!(one.range(1), 0..3);
    }

    #[test]
    fn inconsistent_figures_are_refused() {
        assert_eq!(
            Layout::new(200 * MIB, 8 * MIB, 26),
            None,
            "an empty 26th part"
        );
        assert_eq!(Layout::new(200 * MIB, 8 * MIB, 24), None, "bytes left over");
        assert_eq!(Layout::new(0, 8 * MIB, 1), None);
        assert_eq!(Layout::new(10, 0, 1), None);
        assert_eq!(Layout::new(10, 8, 0), None);
    }

    #[test]
    fn missing_parts_are_those_absent_or_of_the_wrong_size() {
        let l = Layout::new(20 * MIB + 1, 8 * MIB, 3).unwrap();
        assert_eq!(l.missing(&[]), vec![1, 2, 3]);
        assert_eq!(l.missing(&[part(2, 8 * MIB)]), vec![1, 3]);
        // A short part 1 (an interrupted upload S3 kept? a bug) is sent again; the last part's
        // right size is its remainder, not part_size; numbers out of range are ignored.
        assert_eq!(
            l.missing(&[part(1, 5), part(3, 4 * MIB + 1), part(9, 8 * MIB)]),
            vec![1, 2]
        );
        assert_eq!(
            l.missing(&[part(1, 8 * MIB), part(2, 8 * MIB), part(3, 4 * MIB + 1)]),
            Vec::<u32>::new()
        );
        assert_eq!(
            l.bytes_of(l.good(&[part(2, 8 * MIB), part(1, 3)]).map(|p| p.number)),
            8 * MIB
        );
    }

    #[test]
    fn the_largest_layout_does_not_overflow() {
        // 5 TiB in parts of 525 MiB (the server's rule: a multiple of 1 MiB, >= 8 MiB, at most
        // 10000 parts).
        let size = 5 * 1024 * 1024 * MIB;
        let l = Layout::new(size, 525 * MIB, 9987).unwrap();
        assert_eq!(l.range(9987).end, size);
        assert_eq!(l.missing(&[]).len(), 9987);
    }
}
