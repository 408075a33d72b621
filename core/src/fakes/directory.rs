//! [`MemDirectory`]: the accounts' directory in memory, ordered by email.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::lock::lock;
use crate::users::{Directory, DirectoryPage, DirectoryUser};
use crate::{CoreError, OwnerId};

/// What the fake's cursors start with (then the last email of the page).
const CURSOR: &str = "mem-directory:";

#[derive(Default)]
pub struct MemDirectory {
    users: Mutex<BTreeMap<String, DirectoryUser>>,
    /// How many times each account was signed out everywhere.
    pub sign_outs: Mutex<BTreeMap<OwnerId, u32>>,
}

impl MemDirectory {
    /// Adds an enabled account.
    pub fn add(&self, id: &str, email: &str, created_at: DateTime<Utc>) {
        let user = DirectoryUser {
            id: OwnerId::parse(id).unwrap_or_else(|_| panic!("owner id {id}")),
            handle: id.to_owned(),
            email: email.to_owned(),
            enabled: true,
            created_at,
        };
        lock(&self.users).insert(email.to_owned(), user);
    }

    fn set_enabled(&self, id: &OwnerId, enabled: bool) -> Result<(), CoreError> {
        let mut users = lock(&self.users);
        let user = users
            .values_mut()
            .find(|u| &u.id == id)
            .ok_or_else(|| CoreError::upstream("no such directory user"))?;
        user.enabled = enabled;
        Ok(())
    }
}

#[async_trait]
impl Directory for MemDirectory {
    async fn find(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<DirectoryPage, CoreError> {
        // Its own cursors only, as a directory gives them: anything else is the caller's mistake.
        let cursor = match cursor {
            None => None,
            Some(c) => Some(c.strip_prefix(CURSOR).ok_or_else(|| {
                CoreError::invalid(
                    "invalid_cursor",
                    "cursor must be a next_cursor this route returned",
                )
            })?),
        };
        let users = lock(&self.users);
        let mut found: Vec<DirectoryUser> = users
            .range(cursor.unwrap_or("").to_owned()..)
            .filter(|(email, _)| email.starts_with(prefix))
            .filter(|(email, _)| cursor.is_none_or(|c| email.as_str() > c))
            .map(|(_, u)| u.clone())
            .take(limit + 1)
            .collect();
        let more = found.len() > limit;
        found.truncate(limit);
        let next = if more {
            found.last().map(|u| format!("{CURSOR}{}", u.email))
        } else {
            None
        };
        Ok(DirectoryPage { users: found, next })
    }

    async fn user(&self, id: &OwnerId) -> Result<Option<DirectoryUser>, CoreError> {
        Ok(lock(&self.users).values().find(|u| &u.id == id).cloned())
    }

    async fn disable(&self, user: &DirectoryUser) -> Result<(), CoreError> {
        self.set_enabled(&user.id, false)?;
        *lock(&self.sign_outs).entry(user.id.clone()).or_default() += 1;
        Ok(())
    }

    async fn enable(&self, user: &DirectoryUser) -> Result<(), CoreError> {
        self.set_enabled(&user.id, true)
    }

    async fn delete(&self, user: &DirectoryUser) -> Result<(), CoreError> {
        lock(&self.users).retain(|_, u| u.id != user.id);
        Ok(())
    }
}
