//! The [`Profiles`] contract: a name set is read back, replaced, removed; owners never see
//! each other's; a profile beside an owner's quota leaves the quota as it was.

use crate::OwnerId;
use crate::profile::{Profile, Profiles};

fn named(n: &str) -> Profile {
    Profile {
        display_name: Some(n.to_owned()),
    }
}

/// `tag` keeps the owners of one run apart from another's on a shared store.
pub async fn check_all(p: &dyn Profiles, tag: &str) {
    let ada = OwnerId::parse(&format!("profile-ada-{tag}")).unwrap();
    let bob = OwnerId::parse(&format!("profile-bob-{tag}")).unwrap();
    assert_eq!(p.profile(&ada).await.unwrap(), Profile::default());

    p.set_display_name(&ada, Some("Ada Lovelace"))
        .await
        .unwrap();
    assert_eq!(p.profile(&ada).await.unwrap(), named("Ada Lovelace"));
    assert_eq!(p.profile(&bob).await.unwrap(), Profile::default());

    p.set_display_name(&bob, Some("Bob")).await.unwrap();
    p.set_display_name(&ada, Some("Ada 🦊")).await.unwrap();
    assert_eq!(p.profile(&ada).await.unwrap(), named("Ada 🦊"));
    assert_eq!(p.profile(&bob).await.unwrap(), named("Bob"));

    p.set_display_name(&ada, None).await.unwrap();
    assert_eq!(p.profile(&ada).await.unwrap(), Profile::default());
    // Removing what is not there is still removed.
    p.set_display_name(&ada, None).await.unwrap();
    assert_eq!(p.profile(&bob).await.unwrap(), named("Bob"));

    // The default retention sits beside the name; neither disturbs the other.
    use crate::profile::AccountSettings;
    assert_eq!(
        p.account_settings(&ada).await.unwrap(),
        AccountSettings::default()
    );
    p.set_file_retention_days(&ada, Some(30)).await.unwrap();
    p.set_display_name(&ada, Some("Ada")).await.unwrap();
    assert_eq!(
        p.account_settings(&ada).await.unwrap().file_retention_days,
        Some(30)
    );
    assert_eq!(p.profile(&ada).await.unwrap(), named("Ada"));
    assert_eq!(
        p.account_settings(&bob).await.unwrap(),
        AccountSettings::default()
    );
    p.set_file_retention_days(&ada, Some(365)).await.unwrap();
    assert_eq!(
        p.account_settings(&ada).await.unwrap().file_retention_days,
        Some(365)
    );
    p.set_file_retention_days(&ada, None).await.unwrap();
    assert_eq!(
        p.account_settings(&ada).await.unwrap(),
        AccountSettings::default()
    );
    assert_eq!(p.profile(&ada).await.unwrap(), named("Ada"));
}
