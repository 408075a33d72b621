//! The token-sealing contract: a sealed token opens for exactly the item it was sealed for,
//! and its stored form does not show the token.

use crate::OwnerId;
use crate::sealing::{SealContext, TokenSealer, open_all};

pub async fn seals_and_opens_only_for_its_item(s: &dyn TokenSealer) {
    let owner = OwnerId::parse("owner-seal").unwrap();
    let other_owner = OwnerId::parse("owner-other").unwrap();
    let token = "Vx2W9vJqLrQ0c7mQb1tYp3Zk8aN4sEo6dHfUgRiTyKw";
    let ctx = SealContext {
        purpose: "link",
        owner: &owner,
        id: "0193-link-1",
    };
    let sealed = s.seal(&ctx, token).await.unwrap();
    assert!(!sealed.is_empty());
    assert!(!sealed.contains(token), "the stored form shows the token");
    assert_eq!(s.open(&ctx, &sealed).await.unwrap().as_deref(), Some(token));

    for wrong in [
        SealContext {
            id: "0193-link-2",
            ..ctx
        },
        SealContext {
            owner: &other_owner,
            ..ctx
        },
        SealContext {
            purpose: "share",
            ..ctx
        },
    ] {
        assert_eq!(
            s.open(&wrong, &sealed).await.unwrap(),
            None,
            "a sealed token opened for {wrong:?}"
        );
    }
    for junk in ["", "not base64 !!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        assert_eq!(s.open(&ctx, junk).await.unwrap(), None, "{junk:?} opened");
    }

    // A page: each in order, the unsealed (made before sealing) as none.
    let ctx2 = SealContext {
        id: "0193-link-3",
        ..ctx
    };
    let sealed2 = s.seal(&ctx2, "second-token").await.unwrap();
    let page = open_all(
        s,
        &[
            (ctx2, Some(sealed2.as_str())),
            (ctx, None),
            (ctx, Some(sealed.as_str())),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        page,
        vec![
            Some("second-token".to_owned()),
            None,
            Some(token.to_owned())
        ]
    );
}
