//! The [`ApiKeyStore`] contract: a token is found by its hash, listed for its owner only
//! (newest first), revoked once and only by its owner, touched; never written over; and the
//! files an upload token created are remembered per token.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::apikeys::{ApiKey, ApiKeyStore, KeyId, Scope};
use crate::{CoreError, FileId, OwnerId};

fn at(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + s, 0).unwrap()
}

pub(super) fn key(owner: &OwnerId, n: u8, tag: &str) -> ApiKey {
    ApiKey {
        id: KeyId::parse(&format!("k{:0>20}", format!("{n:x}{}", tag.len()))).unwrap(),
        owner: owner.clone(),
        name: format!("key {n}"),
        scope: Scope::Upload,
        hash: format!("{tag}-{n}-{}", "0".repeat(40)),
        created_at: at(i64::from(n)),
        expires_at: at(i64::from(n)) + Duration::days(90),
        last_used_at: None,
        revoked_at: None,
    }
}

/// `tag` keeps the owners and hashes of one run apart from another's on a shared store.
pub async fn check_all(s: &dyn ApiKeyStore, tag: &str) {
    let ada = OwnerId::parse(&format!("keys-ada-{tag}")).unwrap();
    let bob = OwnerId::parse(&format!("keys-bob-{tag}")).unwrap();
    let (a1, a2, b1) = (key(&ada, 1, tag), key(&ada, 2, tag), key(&bob, 3, tag));
    for k in [&a1, &a2, &b1] {
        s.put(k).await.unwrap();
    }
    // Never over an existing token.
    let again = ApiKey {
        owner: bob.clone(),
        ..a1.clone()
    };
    assert_eq!(
        s.put(&again).await.unwrap_err().kind(),
        crate::ErrorKind::Conflict
    );
    assert_eq!(s.by_hash(&a1.hash).await.unwrap(), Some(a1.clone()));
    assert_eq!(s.by_hash(&format!("{tag}-none")).await.unwrap(), None);
    assert_eq!(s.list(&ada).await.unwrap(), vec![a2.clone(), a1.clone()]);
    assert_eq!(s.list(&bob).await.unwrap(), vec![b1.clone()]);

    s.touch(&a1.hash, at(100)).await.unwrap();
    assert_eq!(
        s.by_hash(&a1.hash).await.unwrap().unwrap().last_used_at,
        Some(at(100))
    );
    s.touch(&format!("{tag}-gone"), at(100)).await.unwrap();

    // Only its owner revokes it, once.
    assert_eq!(
        s.revoke(&bob, &a1.id, at(200)).await.unwrap_err(),
        CoreError::NotFound
    );
    s.revoke(&ada, &a1.id, at(200)).await.unwrap();
    assert_eq!(
        s.revoke(&ada, &a1.id, at(201)).await.unwrap_err(),
        CoreError::NotFound
    );
    let revoked = s.by_hash(&a1.hash).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(at(200)));
    assert_eq!(s.by_hash(&a2.hash).await.unwrap().unwrap().revoked_at, None);

    let f = FileId::parse(&format!("file-{tag}")).unwrap();
    assert!(!s.created(&a2.id, &f).await.unwrap());
    s.record_created(&a2.id, &f).await.unwrap();
    assert!(s.created(&a2.id, &f).await.unwrap());
    assert!(!s.created(&b1.id, &f).await.unwrap());
}
