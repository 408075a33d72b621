//! The owner's side of upload links: create, list, read, revoke, and the files of one link.

use std::sync::Arc;

use serde::Serialize;

use super::{Link, LinkStore, LinkView, NewLink, validate_new_link};
use crate::clock::Clock;
use crate::files::{Listing, decode_cursor, encode_cursor};
use crate::ids::IdSource;
use crate::paging::parse_limit;
use crate::{CoreError, FileRecord, LinkId, OwnerId, Settings, tokens};

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
    pub settings: Settings,
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
        let link = Link {
            id: self.ids.link_id(),
            owner: owner.clone(),
            owner_email,
            label: v.label,
            token_hash: tokens::hash(&token),
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
        Ok(self.get(owner, id).await?.view(self.clock.now()))
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
        let now = self.clock.now();
        Ok(LinkListing {
            links: page.links.iter().map(|l| l.view(now)).collect(),
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
            files: page.files.iter().map(FileRecord::view).collect(),
            next_cursor: page.next_after.as_ref().map(encode_cursor),
        })
    }
}
