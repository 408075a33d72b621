//! Timing statistics over samples of `Duration`: median, nearest-rank percentile, min.

use std::time::Duration;

/// Sorts `xs` in place and returns its median (the mean of the two middle samples for an even
/// count). Sorted, `xs[0]` is then the minimum and `percentile` can read `xs`.
///
/// Panics on no samples.
pub fn median(xs: &mut [Duration]) -> Duration {
    xs.sort();
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2
    }
}

/// The nearest-rank `p`th percentile (0 < p <= 100) of samples sorted in ascending order.
///
/// Panics on no samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A sorted copy of `xs`, for reading several statistics off samples kept in their order.
pub fn sorted(xs: &[Duration]) -> Vec<Duration> {
    let mut t = xs.to_vec();
    t.sort();
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn median_of_odd_and_even_counts_and_sorts_in_place() {
        let mut odd = ms(&[5, 1, 3]);
        assert_eq!(median(&mut odd), Duration::from_millis(3));
        assert_eq!(odd, ms(&[1, 3, 5]));
        assert_eq!(median(&mut ms(&[4, 1, 3, 2])), Duration::from_micros(2500));
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let t = sorted(&ms(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]));
        assert_eq!(percentile(&t, 90.0), Duration::from_millis(9));
        assert_eq!(percentile(&t, 100.0), Duration::from_millis(10));
        assert_eq!(percentile(&t, 1.0), Duration::from_millis(1));
        assert_eq!(percentile(&ms(&[7]), 90.0), Duration::from_millis(7));
    }
}
