//! The [`Directory`] contract: accounts found by email prefix a page at a time, a cursor the
//! directory never gave refused as the caller's mistake (`invalid_cursor`), an account read by
//! its id (an unknown one is none), stopped and restored, and deleted for good (twice is no
//! error).

use async_trait::async_trait;

use crate::OwnerId;
use crate::users::Directory;

/// What the contract needs of the directory's world besides the port.
#[async_trait]
pub trait DirectoryWorld: Send + Sync {
    /// A new enabled account at `email`: its id.
    async fn account(&self, email: &str) -> OwnerId;
}

/// `tag` keeps the accounts of one run apart from another's on a shared directory: every
/// address starts with it.
pub async fn check_all(d: &dyn Directory, w: &dyn DirectoryWorld, tag: &str) {
    let ann = w.account(&format!("{tag}-ann@example.com")).await;
    w.account(&format!("{tag}-anton@example.com")).await;
    w.account(&format!("{tag}-bea@example.com")).await;

    let page = d.find(&format!("{tag}-an"), None, 50).await.unwrap();
    let mut emails: Vec<String> = page.users.iter().map(|u| u.email.clone()).collect();
    emails.sort_unstable();
    assert_eq!(
        emails,
        [
            format!("{tag}-ann@example.com"),
            format!("{tag}-anton@example.com")
        ]
    );
    let all = format!("{tag}-");
    assert_eq!(d.find(&all, None, 50).await.unwrap().users.len(), 3);
    assert!(
        d.find(&format!("{tag}-zed"), None, 50)
            .await
            .unwrap()
            .users
            .is_empty()
    );

    // Pages: one, then the rest from its cursor; nobody twice, nobody left out.
    let first = d.find(&all, None, 1).await.unwrap();
    assert_eq!(first.users.len(), 1);
    let next = first.next.clone().expect("a cursor");
    let rest = d.find(&all, Some(&next), 50).await.unwrap();
    assert_eq!(rest.users.len(), 2);
    assert!(rest.users.iter().all(|u| u.id != first.users[0].id));

    // A cursor the directory never gave is the caller's mistake, never an upstream failure.
    for bad in ["zz", "eyJ4IjoxfQ"] {
        let e = d.find(&all, Some(bad), 50).await.unwrap_err();
        assert_eq!(e.code(), "invalid_cursor", "{bad}: {e}");
    }

    let user = d.user(&ann).await.unwrap().expect("ann by her id");
    assert_eq!(
        (user.email.as_str(), user.enabled),
        (format!("{tag}-ann@example.com").as_str(), true)
    );
    let nobody = OwnerId::parse(&format!("{tag}-nobody")).unwrap();
    assert_eq!(d.user(&nobody).await.unwrap(), None);

    d.disable(&user).await.unwrap();
    assert!(!d.user(&ann).await.unwrap().unwrap().enabled);
    // Stopped accounts are still found (an operator restores them from the list).
    assert_eq!(d.find(&all, None, 50).await.unwrap().users.len(), 3);
    d.enable(&user).await.unwrap();
    assert!(d.user(&ann).await.unwrap().unwrap().enabled);

    d.delete(&user).await.unwrap();
    assert_eq!(d.user(&ann).await.unwrap(), None);
    assert_eq!(d.find(&all, None, 50).await.unwrap().users.len(), 2);
    // Gone already: no error (an erasure that is resumed deletes again).
    d.delete(&user).await.unwrap();
}
