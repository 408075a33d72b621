//! The owner's side of upload links: create, list, read, edit, revoke, remove, and the files
//! of one link.

use std::sync::Arc;

use serde::Serialize;

use super::{
    Link, LinkEdit, LinkState, LinkStore, LinkView, NewLink, validate_link_edit, validate_new_link,
};
use crate::clock::Clock;
use crate::files::{Listing, decode_cursor, encode_cursor};
use crate::ids::IdSource;
use crate::paging::parse_limit;
use crate::sealing::{SealContext, TokenSealer, open_all};
use crate::{CoreError, LinkId, OwnerId, Settings, tokens};

#[derive(Debug, Clone, Serialize)]
pub struct CreatedLink {
    pub link: LinkView,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkListing {
    pub links: Vec<LinkView>,
    pub next_cursor: Option<String>,
}

#[derive(Clone)]
pub struct LinkService {
    pub links: Arc<dyn LinkStore>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    /// Keeps each token so that the owner can see the URL again.
    pub sealer: Arc<dyn TokenSealer>,
    pub settings: Settings,
}

/// What a link's token is sealed for: only this link of this owner.
fn seal_context(link: &Link) -> SealContext<'_> {
    SealContext {
        purpose: "link",
        owner: &link.owner,
        id: link.id.as_str(),
    }
}

fn ended(state: LinkState) -> CoreError {
    let what = match state {
        LinkState::Revoked => "was revoked",
        LinkState::Expired => "has expired",
        _ => "is used up",
    };
    CoreError::conflict(
        "link_ended",
        format!("this link {what}: its settings can no longer change"),
    )
}

fn active() -> CoreError {
    CoreError::conflict(
        "link_active",
        "this link is still active: revoke it before removing it",
    )
}

/// Link cursors are opaque like file cursors: the last id of a page, hex-encoded.
fn decode_link_cursor(raw: &str) -> Result<LinkId, CoreError> {
    let bad = || CoreError::invalid("invalid_cursor", "cursor is not one this API returned");
    let bytes = hex::decode(raw).map_err(|_| bad())?;
    let s = String::from_utf8(bytes).map_err(|_| bad())?;
    LinkId::parse(&s).map_err(|_| bad())
}

impl LinkService {
    /// The URL a stranger opens to drop files through a link.
    pub fn url(&self, token: &str) -> String {
        format!("{}/d/{token}", self.settings.public_base_url)
    }

    pub async fn create(
        &self,
        owner: &OwnerId,
        owner_email: Option<String>,
        req: &NewLink,
    ) -> Result<CreatedLink, CoreError> {
        let v = validate_new_link(&self.settings, req)?;
        let token = tokens::encode(&self.ids.secret()?);
        let now = self.clock.now();
        let id = self.ids.link_id();
        let ctx = SealContext {
            purpose: "link",
            owner,
            id: id.as_str(),
        };
        // Sealed before anything is stored: a link whose URL could not be shown again is
        // never made.
        let token_sealed = Some(self.sealer.seal(&ctx, &token).await?);
        let link = Link {
            id,
            owner: owner.clone(),
            owner_email,
            label: v.label,
            token_hash: tokens::hash(&token),
            token_sealed,
            created_at: now,
            expires_at: crate::time::after(now, v.ttl),
            max_uploads: v.max_uploads,
            uploads_used: 0,
            max_file_bytes: v.max_file_bytes,
            max_total_bytes: v.max_total_bytes,
            bytes_used: 0,
            max_pending_bytes: v.max_pending_bytes,
            pending_bytes: 0,
            max_givebacks: self.settings.link_givebacks,
            givebacks: 0,
            allowed_types: v.allowed_types,
            require_uploader_name: v.require_uploader_name,
            revoked: false,
            retain_days: v.retain_days,
        };
        self.links.put_link(&link).await?;
        let mut view = link.view(now);
        view.url = Some(self.url(&token));
        view.token = Some(token);
        Ok(CreatedLink { link: view })
    }

    pub async fn get(&self, owner: &OwnerId, id: &str) -> Result<Link, CoreError> {
        let id = LinkId::parse(id)?;
        self.links
            .get_link(owner, &id)
            .await?
            .ok_or(CoreError::NotFound)
    }

    pub async fn view(&self, owner: &OwnerId, id: &str) -> Result<LinkView, CoreError> {
        let link = self.get(owner, id).await?;
        Ok(self.views(&[link]).await?.remove(0))
    }

    /// The owner's views of `links`, each with its URL when its token can be opened.
    async fn views(&self, links: &[Link]) -> Result<Vec<LinkView>, CoreError> {
        let now = self.clock.now();
        let sealed: Vec<_> = links
            .iter()
            .map(|l| (seal_context(l), l.token_sealed.as_deref()))
            .collect();
        let tokens = open_all(self.sealer.as_ref(), &sealed).await?;
        Ok(links
            .iter()
            .zip(tokens)
            .map(|(l, token)| {
                if token.is_none() && l.token_sealed.is_some() {
                    tracing::warn!(link_id = %l.id, "sealed link token did not open");
                }
                let mut v = l.view(now);
                v.url = token.map(|t| self.url(&t));
                v
            })
            .collect())
    }

    /// Changes a live link's settings (`409 link_ended` once it is revoked, expired or used
    /// up). What a drop checks from then on is the new settings.
    pub async fn edit(
        &self,
        owner: &OwnerId,
        id: &str,
        edit: &LinkEdit,
    ) -> Result<LinkView, CoreError> {
        let now = self.clock.now();
        let changes = validate_link_edit(&self.settings, edit, now)?;
        let link = self.get(owner, id).await?;
        if link.state(now) != LinkState::Active {
            return Err(ended(link.state(now)));
        }
        let edited = changes.applied_to(&link);
        if !self.links.update_link(&edited, now).await? {
            // Revoked, expired or removed since it was read.
            let now_link = self.get(owner, id).await?;
            return Err(ended(now_link.state(self.clock.now())));
        }
        let stored = self.get(owner, id).await?;
        Ok(self.views(&[stored]).await?.remove(0))
    }

    /// Removes an ended link from the owner's list (`409 link_active` while it is live: revoke
    /// it first). Files that came through it stay.
    pub async fn remove(&self, owner: &OwnerId, id: &str) -> Result<(), CoreError> {
        let link = self.get(owner, id).await?;
        let now = self.clock.now();
        if link.state(now) == LinkState::Active {
            return Err(active());
        }
        if self.links.remove_link(owner, &link.id, now).await? {
            Ok(())
        } else if self.links.get_link(owner, &link.id).await?.is_some() {
            Err(active())
        } else {
            Err(CoreError::NotFound)
        }
    }

    pub async fn list(
        &self,
        owner: &OwnerId,
        limit: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<LinkListing, CoreError> {
        let limit = parse_limit(limit)?;
        let after = cursor.map(decode_link_cursor).transpose()?;
        let page = self.links.list_links(owner, limit, after.as_ref()).await?;
        Ok(LinkListing {
            links: self.views(&page.links).await?,
            next_cursor: page.next_after.map(|id| hex::encode(id.as_str())),
        })
    }

    /// Revokes the link: no drop through it succeeds afterwards. Files already received stay.
    pub async fn revoke(&self, owner: &OwnerId, id: &str) -> Result<(), CoreError> {
        let id = LinkId::parse(id)?;
        if self.links.revoke_link(owner, &id, self.clock.now()).await? {
            Ok(())
        } else {
            Err(CoreError::NotFound)
        }
    }

    /// The files that came through one of the owner's links.
    pub async fn files(
        &self,
        owner: &OwnerId,
        id: &str,
        limit: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<Listing, CoreError> {
        let link = self.get(owner, id).await?;
        let limit = parse_limit(limit)?;
        let after = cursor.map(decode_cursor).transpose()?;
        let page = self
            .links
            .list_link_files(owner, &link.id, limit, after.as_ref())
            .await?;
        Ok(Listing {
            files: page
                .files
                .iter()
                // A record whose deletion for good began is deleted for its owner.
                .filter(|f| !f.is_deleting())
                .map(|f| f.owner_view(&self.settings.allowed_types))
                .collect(),
            next_cursor: page.next_after.as_ref().map(encode_cursor),
        })
    }
}
