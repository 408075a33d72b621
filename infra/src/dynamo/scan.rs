//! A record's malware-scan attributes: how they are stored (in the files table and in the
//! upload-log copy of a record) and how a write replaces them. Records written before the gate
//! carry none of them and read as never scanned.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use chrono::{DateTime, Utc};
use dropgate_core::CoreError;
use dropgate_core::scan::{ScanRecord, ScanStatus};
use dropgate_core::time::rfc3339;

use super::{corrupt, get_s, get_time, s};

pub(crate) const SCAN_STATUS: &str = "scan_status";
const SCAN_ETAG: &str = "scan_etag";
const SCAN_THREATS: &str = "scan_threats";
const SCANNED_AT: &str = "scanned_at";
pub(crate) const SCAN_STARTED_AT: &str = "scan_started_at";

/// Adds the scan attributes of `scan` and `started` to a whole item.
pub(crate) fn put_scan(
    item: &mut HashMap<String, Av>,
    scan: Option<&ScanRecord>,
    started: Option<DateTime<Utc>>,
) {
    if let Some(sc) = scan {
        for (k, v) in scan_values(sc) {
            item.insert(k.into(), v);
        }
    }
    if let Some(t) = started {
        item.insert(SCAN_STARTED_AT.into(), s(rfc3339(t)));
    }
}

/// The scan result and the time scanning started, from the attributes [`put_scan`] writes.
/// No `scan_status`: never scanned (`None`), whatever else is there.
pub(crate) fn scan_of(
    item: &HashMap<String, Av>,
) -> Result<(Option<ScanRecord>, Option<DateTime<Utc>>), CoreError> {
    let started = match item.get(SCAN_STARTED_AT) {
        None => None,
        Some(_) => Some(get_time(item, SCAN_STARTED_AT)?),
    };
    let Some(status) = get_s(item, SCAN_STATUS) else {
        return Ok((None, started));
    };
    let threats = match item.get(SCAN_THREATS) {
        None => Vec::new(),
        Some(v) => v
            .as_l()
            .map_err(|_| corrupt(SCAN_THREATS))?
            .iter()
            .map(|t| t.as_s().cloned().map_err(|_| corrupt(SCAN_THREATS)))
            .collect::<Result<_, _>>()?,
    };
    let scan = ScanRecord {
        status: ScanStatus::parse(status).ok_or_else(|| corrupt(SCAN_STATUS))?,
        etag: get_s(item, SCAN_ETAG).map(str::to_owned),
        threats,
        at: match item.get(SCANNED_AT) {
            None => None,
            Some(_) => Some(get_time(item, SCANNED_AT)?),
        },
    };
    Ok((Some(scan), started))
}

/// The attributes of `scan` that have a value (threats only when there are some).
fn scan_values(scan: &ScanRecord) -> Vec<(&'static str, Av)> {
    let mut v = vec![(SCAN_STATUS, s(scan.status.as_str()))];
    if let Some(e) = &scan.etag {
        v.push((SCAN_ETAG, s(e)));
    }
    if !scan.threats.is_empty() {
        v.push((SCAN_THREATS, Av::L(scan.threats.iter().map(s).collect())));
    }
    if let Some(t) = scan.at {
        v.push((SCANNED_AT, s(rfc3339(t))));
    }
    v
}

/// An update's clauses that replace a record's scan result by `scan`: SET what it has, REMOVE
/// what it lacks, so that no attribute of an earlier result (another ETag's threats, say)
/// survives into the new one.
pub(crate) struct ScanWrite {
    pub set: Vec<String>,
    pub remove: Vec<&'static str>,
    pub values: Vec<(String, Av)>,
}

impl ScanWrite {
    pub(crate) fn of(scan: &ScanRecord) -> Self {
        let given = scan_values(scan);
        let remove = [SCAN_ETAG, SCAN_THREATS, SCANNED_AT]
            .into_iter()
            .filter(|k| !given.iter().any(|(g, _)| g == k))
            .collect();
        let mut set = Vec::new();
        let mut values = Vec::new();
        for (k, v) in given {
            set.push(format!("{k} = :{k}"));
            values.push((format!(":{k}"), v));
        }
        Self {
            set,
            remove,
            values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap()
    }

    #[test]
    fn scan_attributes_round_trip_and_absent_ones_read_as_never_scanned() {
        let infected = ScanRecord {
            status: ScanStatus::Infected,
            etag: Some("9b2cf535f27731c974343645a3985328".into()),
            threats: vec!["EICAR-Test-File".into(), "Other".into()],
            at: Some(at(1_795_341_600_123)),
        };
        let mut item = HashMap::new();
        put_scan(&mut item, Some(&infected), Some(at(1_795_341_500_000)));
        let (scan, started) = scan_of(&item).unwrap();
        assert_eq!(scan, Some(infected));
        assert_eq!(started, Some(at(1_795_341_500_000)));

        let pending = ScanRecord {
            status: ScanStatus::Pending,
            etag: None,
            threats: Vec::new(),
            at: None,
        };
        let mut item = HashMap::new();
        put_scan(&mut item, Some(&pending), None);
        assert_eq!(item.len(), 1, "only what has a value: {item:?}");
        assert_eq!(scan_of(&item).unwrap(), (Some(pending), None));

        assert_eq!(scan_of(&HashMap::new()).unwrap(), (None, None));
        for (k, v) in [(SCAN_STATUS, s("maybe")), (SCAN_STARTED_AT, s("yesterday"))] {
            let item = HashMap::from([(k.to_owned(), v)]);
            assert!(scan_of(&item).is_err(), "{k}");
        }
        let item = HashMap::from([
            (SCAN_STATUS.to_owned(), s("infected")),
            (SCAN_THREATS.to_owned(), s("not a list")),
        ]);
        assert!(scan_of(&item).is_err());
    }

    #[test]
    fn a_scan_write_removes_what_the_new_result_lacks() {
        let w = ScanWrite::of(&ScanRecord {
            status: ScanStatus::Clean,
            etag: Some("e".into()),
            threats: Vec::new(),
            at: None,
        });
        assert_eq!(
            w.set,
            ["scan_status = :scan_status", "scan_etag = :scan_etag"]
        );
        assert_eq!(w.remove, [SCAN_THREATS, SCANNED_AT]);
        assert_eq!(w.values.len(), 2);
    }
}
