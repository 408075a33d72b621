//! The [`AccountDirectory`] contract: an email change waits for the code mailed to the new address;
//! a wrong code changes nothing; the right one switches the address, verified; an address
//! another account holds is refused; after a sign-out everywhere the owner's access token
//! opens nothing. The address Dropgate mails ([`crate::accounts::OwnerAddress`]) is the
//! verified one throughout: the old until the code comes back, the new after; none for an
//! account that does not exist.

use async_trait::async_trait;

use crate::OwnerId;
use crate::accounts::AccountDirectory;

/// What the contract needs of the directory's world besides the port.
#[async_trait]
pub trait AccountDirectoryWorld: Send + Sync {
    /// A new verified account at `email` with [`CONTRACT_PASSWORD`]: its owner and an access
    /// token of it.
    async fn account(&self, email: &str) -> (OwnerId, String);
    /// The account's address and whether it is verified.
    async fn address(&self, owner: &OwnerId) -> (String, bool);
    /// The last code mailed to `to`, if any.
    async fn code_for(&self, to: &str) -> Option<String>;
}

/// `tag` keeps the accounts of one run apart from another's on a shared directory.
pub async fn check_all(d: &dyn AccountDirectory, w: &dyn AccountDirectoryWorld, tag: &str) {
    let ada_at = format!("ada-{tag}@example.com");
    let new_at = format!("ada-new-{tag}@example.com");
    let bob_at = format!("bob-{tag}@example.com");
    let (ada, ada_token) = w.account(&ada_at).await;
    let (_bob, _) = w.account(&bob_at).await;

    // Another account's address is not for the taking.
    let e = d.start_email_change(&ada, &bob_at).await.unwrap_err();
    assert_eq!(e.code(), "email_taken");

    d.start_email_change(&ada, &new_at).await.unwrap();
    let code = w
        .code_for(&new_at)
        .await
        .expect("a code mailed to the new address");
    // Until the code comes back, the account keeps its verified address.
    assert_eq!(w.address(&ada).await, (ada_at.clone(), true));
    assert_eq!(mailed_at(d, &ada).await, Some(ada_at.clone()));

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let e = d.confirm_email_change(&ada_token, wrong).await.unwrap_err();
    assert_eq!(e.code(), "invalid_code");
    assert_eq!(w.address(&ada).await, (ada_at.clone(), true));

    d.confirm_email_change(&ada_token, &code).await.unwrap();
    assert_eq!(w.address(&ada).await, (new_at.clone(), true));
    assert_eq!(mailed_at(d, &ada).await, Some(new_at.clone()));
    let nobody = OwnerId::parse("00000000-0000-4000-8000-000000000000").unwrap();
    assert_eq!(mailed_at(d, &nobody).await, None);

    // Used: nothing is pending any more.
    let e = d.confirm_email_change(&ada_token, &code).await.unwrap_err();
    assert_eq!(e.code(), "invalid_code");

    // Signed out everywhere: the access token opens nothing any more.
    d.start_email_change(&ada, &ada_at).await.unwrap();
    let code = w.code_for(&ada_at).await.expect("a code");
    d.sign_out_everywhere(&ada).await.unwrap();
    let e = d.confirm_email_change(&ada_token, &code).await.unwrap_err();
    assert_eq!(e.code(), "invalid_access_token");
    assert_eq!(w.address(&ada).await, (new_at, true));

    // A password changes only with the current one, and the pool's policy holds.
    let e = d
        .change_password(&ada, "Wrong1horse", "Another1horse")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "wrong_password");
    let e = d
        .change_password(&ada, CONTRACT_PASSWORD, "weak")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "weak_password");
    d.change_password(&ada, CONTRACT_PASSWORD, "Another1horse")
        .await
        .unwrap();
    let e = d
        .change_password(&ada, CONTRACT_PASSWORD, "Third1horse")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "wrong_password");
    d.change_password(&ada, "Another1horse", "Third1horse")
        .await
        .unwrap();
}

async fn mailed_at(d: &dyn AccountDirectory, owner: &OwnerId) -> Option<String> {
    d.verified_address(owner).await.unwrap()
}

/// The password [`AccountDirectoryWorld::account`] gives a new account.
pub const CONTRACT_PASSWORD: &str = "Correct1horse";
