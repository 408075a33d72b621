//! What the timed starts come to: each function's median, min and p90, with and without the
//! trust store of one certificate, and how its bootstrap's size compares with the baseline's.

use std::collections::BTreeMap;
use std::time::Duration;

use dropgate_bench::stats::{median, percentile};

use crate::measure::{BASELINE, Row};

pub struct Medians {
    pub init: BTreeMap<&'static str, Duration>,
    /// Empty when this machine has no CA bundle to cut down.
    pub one_ca: BTreeMap<&'static str, Duration>,
}

impl Medians {
    /// Sorts each row's starts in place, which `min` and `p90` then read.
    pub fn of(rows: &mut [Row]) -> Self {
        let mut init = BTreeMap::new();
        let mut one_ca = BTreeMap::new();
        for row in rows {
            init.insert(row.bin, median(&mut row.init));
            if !row.init_one_ca.is_empty() {
                one_ca.insert(row.bin, median(&mut row.init_one_ca));
            }
        }
        Self { init, one_ca }
    }

    pub fn baseline(&self) -> Duration {
        self.init[BASELINE]
    }
}

/// The fastest start of a row whose starts `Medians::of` sorted.
pub fn min(row: &Row) -> Duration {
    row.init[0]
}

/// The p90 start of a row whose starts `Medians::of` sorted.
pub fn p90(row: &Row) -> Duration {
    percentile(&row.init, 90.0)
}

/// How much larger the functions' bootstraps are than the baseline's, in words.
pub fn size_ratios(rows: &[Row]) -> String {
    let base = rows
        .iter()
        .find(|r| r.bin == BASELINE)
        .map_or(1, |r| r.bootstrap_bytes.max(1)) as f64;
    let ratios = rows
        .iter()
        .filter(|r| r.bin != BASELINE)
        .map(|r| r.bootstrap_bytes as f64 / base);
    let (lo, hi) = ratios.fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if (hi - lo) < 0.05 {
        format!("{hi:.1} times")
    } else {
        format!("{lo:.1} to {hi:.1} times")
    }
}
