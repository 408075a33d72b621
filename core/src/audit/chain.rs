//! The chain's rules, shared by the store that writes it and `dropgate admin audit verify`,
//! which checks an export offline: how an entry is written canonically, how it is hashed, and
//! how a run of entries is checked.
//!
//! Canonical form (docs/DESIGN.md, "The audit log"): the entry without `hash` as JSON with
//! every object's keys in ascending byte order, no whitespace, strings escaped as RFC 8259
//! requires and nothing more (non-ASCII stays UTF-8), integers in decimal (the trail refuses a
//! detail with a fraction, whose digits other writers might spell differently). `hash` is the
//! lowercase hex SHA-256 of the previous entry's `hash` (64 hex characters; [`GENESIS`] before
//! the first entry) followed by those bytes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Actor, AuditEvent, Target};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of the chain as stored and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    pub seq: u64,
    /// RFC 3339 UTC with milliseconds.
    pub at: String,
    pub actor: Actor,
    pub action: String,
    pub target: Target,
    pub detail: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The last entry of the chain: where the next one links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

impl Head {
    /// Before the first entry.
    pub fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS.to_owned(),
        }
    }
}

impl AuditEntry {
    /// The entry that follows `head`, with its hash.
    pub fn link(head: &Head, event: AuditEvent, at: String) -> Self {
        let mut entry = Self {
            seq: head.seq + 1,
            at,
            actor: event.actor,
            action: event.action,
            target: event.target,
            detail: event.detail,
            prev_hash: head.hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry.computed_hash();
        entry
    }

    /// The canonical bytes of everything but `hash`.
    pub fn canonical(&self) -> String {
        let v = serde_json::json!({
            "seq": self.seq,
            "at": self.at,
            "actor": {"id": self.actor.id, "kind": self.actor.kind.as_str()},
            "action": self.action,
            "target": {"kind": self.target.kind, "id": self.target.id},
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        });
        let mut out = String::with_capacity(256);
        write_canonical(&v, &mut out);
        out
    }

    /// SHA-256(prev_hash || canonical), in lowercase hex.
    pub fn computed_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(self.canonical().as_bytes());
        hex::encode(h.finalize())
    }

    pub fn head(&self) -> Head {
        Head {
            seq: self.seq,
            hash: self.hash.clone(),
        }
    }
}

/// Writes `v` with every object's keys sorted by their bytes, whatever order the map keeps
/// (serde_json keeps insertion order when any crate turns on `preserve_order`).
fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Where and why a chain is broken: `seq` is the first entry that is not what the chain
/// promises (the one changed, the one missing, or the first out of order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub seq: u64,
    pub why: &'static str,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chain broken at seq {}: {}", self.seq, self.why)
    }
}

/// Checks entries one at a time, in order, so an export of any size is checked in constant
/// memory. The first entry is taken on its own `prev_hash` unless it is seq 1 (an export that
/// starts later cannot vouch for what came before it); every later one must follow it.
#[derive(Debug, Default)]
pub struct Verifier {
    last: Option<Head>,
    count: u64,
}

impl Verifier {
    /// The seq the next entry must have (1 before any).
    pub fn expected(&self) -> u64 {
        self.last.as_ref().map_or(1, |h| h.seq + 1)
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn push(&mut self, e: &AuditEntry) -> Result<(), Broken> {
        let at = |why| Broken {
            seq: self.expected(),
            why,
        };
        match &self.last {
            Some(last) => {
                if e.seq != last.seq + 1 {
                    return Err(at(if e.seq > last.seq + 1 {
                        "an entry is missing"
                    } else {
                        "entries are out of order"
                    }));
                }
                if e.prev_hash != last.hash {
                    return Err(at("prev_hash does not match the entry before"));
                }
            }
            None if e.seq == 0 => return Err(at("seq starts at 1")),
            None if e.seq == 1 && e.prev_hash != GENESIS => {
                return Err(at("the first entry does not start the chain"));
            }
            None => {}
        }
        if e.hash != e.computed_hash() {
            return Err(Broken {
                seq: e.seq,
                why: "the entry was changed (its hash does not match)",
            });
        }
        self.last = Some(e.head());
        self.count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::ActorKind;
    use serde_json::json;

    fn event(n: u64) -> AuditEvent {
        AuditEvent::new(
            Actor {
                id: "admin-1".into(),
                kind: ActorKind::Admin,
            },
            "user.quota_changed",
            "user",
            &format!("u{n}"),
            json!({"quota_bytes": n, "a": [1, {"z": 1, "b": 2}]}),
        )
    }

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut head = Head::genesis();
        (1..=n)
            .map(|i| {
                let e = AuditEntry::link(&head, event(i), format!("2026-12-04T10:00:0{i}.000Z"));
                head = e.head();
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry]) -> Result<u64, Broken> {
        let mut v = Verifier::default();
        for e in entries {
            v.push(e)?;
        }
        Ok(v.count())
    }

    /// The canonical form is pinned: another implementation must produce these exact bytes.
    #[test]
    fn the_canonical_form_and_hash_are_fixed() {
        let e = &chain(1)[0];
        assert_eq!(
            e.canonical(),
            r#"{"action":"user.quota_changed","actor":{"id":"admin-1","kind":"admin"},"at":"2026-12-04T10:00:01.000Z","detail":{"a":[1,{"b":2,"z":1}],"quota_bytes":1},"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,"target":{"id":"u1","kind":"user"}}"#
        );
        let mut h = Sha256::new();
        h.update(GENESIS.as_bytes());
        h.update(e.canonical().as_bytes());
        assert_eq!(e.hash, hex::encode(h.finalize()));
        // A round trip through JSON keeps the hash.
        let back: AuditEntry = serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap();
        assert_eq!(back.computed_hash(), e.hash);
    }

    #[test]
    fn an_intact_chain_verifies_and_a_late_start_is_taken_on_its_word() {
        let c = chain(5);
        assert_eq!(verify(&c), Ok(5));
        assert_eq!(verify(&c[2..]), Ok(3));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn a_changed_removed_or_reordered_entry_breaks_at_its_seq() {
        let c = chain(5);
        let mut changed = c.clone();
        changed[2].detail = json!({"quota_bytes": 999});
        assert_eq!(verify(&changed).unwrap_err().seq, 3);

        let mut removed = c.clone();
        removed.remove(2);
        assert_eq!(verify(&removed).unwrap_err().seq, 3);

        let mut swapped = c.clone();
        swapped.swap(2, 3);
        assert_eq!(verify(&swapped).unwrap_err().seq, 3);

        // Swapped contents under fixed seqs (as in a table whose items were exchanged).
        let mut relabelled = c.clone();
        relabelled.swap(2, 3);
        relabelled[2].seq = 3;
        relabelled[3].seq = 4;
        assert_eq!(verify(&relabelled).unwrap_err().seq, 3);

        // Rehashing a changed entry does not help: the next one no longer follows it.
        let mut rehashed = c.clone();
        rehashed[1].action = "user.enabled".into();
        rehashed[1].hash = rehashed[1].computed_hash();
        assert_eq!(verify(&rehashed).unwrap_err().seq, 3);

        let mut forged_start = c;
        forged_start[0].prev_hash = "ab".repeat(32);
        forged_start[0].hash = forged_start[0].computed_hash();
        assert_eq!(verify(&forged_start).unwrap_err().seq, 1);
    }
}
