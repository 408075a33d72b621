//! The [`StandingStore`] contract: nothing stored is good standing; a cut only moves forward;
//! disabling and restoring leave the cut as it was; owners never see each other's.

use chrono::{TimeZone, Utc};

use crate::OwnerId;
use crate::standing::{Standing, StandingStore};

/// `tag` keeps the owners of one run apart from another's on a shared store.
pub async fn check_all(s: &dyn StandingStore, tag: &str) {
    let ada = OwnerId::parse(&format!("standing-ada-{tag}")).unwrap();
    let bob = OwnerId::parse(&format!("standing-bob-{tag}")).unwrap();
    let at = |secs| Utc.timestamp_opt(secs, 0).unwrap();
    assert_eq!(s.standing(&ada).await.unwrap(), Standing::default());

    s.sign_out_all(&ada, at(2_000_000_000)).await.unwrap();
    let cut = Some(at(2_000_000_000));
    assert_eq!(s.standing(&ada).await.unwrap().signed_out_at, cut);
    // An earlier cut never replaces a later one; a later one does.
    s.sign_out_all(&ada, at(1_000_000_000)).await.unwrap();
    assert_eq!(s.standing(&ada).await.unwrap().signed_out_at, cut);
    s.sign_out_all(&ada, at(2_000_000_001)).await.unwrap();
    let cut = Some(at(2_000_000_001));
    assert_eq!(s.standing(&ada).await.unwrap().signed_out_at, cut);

    s.set_disabled(&ada, true).await.unwrap();
    let stopped = Standing {
        disabled: true,
        signed_out_at: cut,
    };
    assert_eq!(s.standing(&ada).await.unwrap(), stopped);
    assert_eq!(s.standing(&bob).await.unwrap(), Standing::default());
    s.set_disabled(&ada, false).await.unwrap();
    assert_eq!(
        s.standing(&ada).await.unwrap(),
        Standing {
            disabled: false,
            signed_out_at: cut
        }
    );
    // Disabling an owner with no record at all makes one.
    s.set_disabled(&bob, true).await.unwrap();
    assert!(s.standing(&bob).await.unwrap().disabled);
}
