//! [`MemDeliveryLog`], [`MemDeliveryQueue`] and [`ScriptedSender`]: webhook deliveries in
//! memory, the queue as a list of what was enqueued, and a receiver that answers what a test
//! scripted.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::lock::lock;
use crate::webhooks::deliveries::{
    AttemptRecord, Delivery, DeliveryJob, DeliveryLog, DeliveryQueue, Sent, WebhookSender,
    check_cursor, log_key,
};
use crate::{CoreError, OwnerId};

type Hook = (OwnerId, String);

#[derive(Default)]
pub struct MemDeliveryLog {
    deliveries: Mutex<HashMap<Hook, BTreeMap<String, Delivery>>>,
    /// By log key, per webhook.
    records: Mutex<HashMap<Hook, BTreeMap<String, AttemptRecord>>>,
    /// Parked jobs by delivery, per webhook.
    parked: Mutex<HashMap<Hook, BTreeMap<String, DeliveryJob>>>,
}

impl MemDeliveryLog {
    /// How many jobs the webhook has parked.
    pub fn parked_count(&self, owner: &OwnerId, webhook_id: &str) -> usize {
        lock(&self.parked)
            .get(&(owner.clone(), webhook_id.to_owned()))
            .map_or(0, BTreeMap::len)
    }
}

#[async_trait]
impl DeliveryLog for MemDeliveryLog {
    async fn open(&self, owner: &OwnerId, d: &Delivery) -> Result<(), CoreError> {
        lock(&self.deliveries)
            .entry((owner.clone(), d.webhook_id.clone()))
            .or_default()
            .entry(d.id.clone())
            .or_insert_with(|| d.clone());
        Ok(())
    }

    async fn delivery(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        id: &str,
    ) -> Result<Option<Delivery>, CoreError> {
        Ok(lock(&self.deliveries)
            .get(&(owner.clone(), webhook_id.to_owned()))
            .and_then(|m| m.get(id))
            .cloned())
    }

    async fn record(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        r: &AttemptRecord,
    ) -> Result<(), CoreError> {
        let hook = (owner.clone(), webhook_id.to_owned());
        if let Some(d) = lock(&self.deliveries)
            .get_mut(&hook)
            .and_then(|m| m.get_mut(&r.id))
        {
            d.attempts = d.attempts.max(r.attempt);
        }
        lock(&self.records)
            .entry(hook)
            .or_default()
            .insert(log_key(r), r.clone());
        Ok(())
    }

    async fn list(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<AttemptRecord>, Option<String>), CoreError> {
        let cursor = cursor.map(check_cursor).transpose()?;
        let records = lock(&self.records);
        let Some(all) = records.get(&(owner.clone(), webhook_id.to_owned())) else {
            return Ok((Vec::new(), None));
        };
        let items: Vec<AttemptRecord> = all
            .iter()
            .rev()
            .filter(|(k, _)| cursor.is_none_or(|c| k.as_str() < c))
            .take(limit + 1)
            .map(|(_, r)| r.clone())
            .collect();
        Ok(crate::paging::cut_page(items, limit, log_key))
    }

    async fn park(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        jobs: &[DeliveryJob],
    ) -> Result<(), CoreError> {
        let mut parked = lock(&self.parked);
        let m = parked
            .entry((owner.clone(), webhook_id.to_owned()))
            .or_default();
        for job in jobs {
            m.insert(job.delivery_id.clone(), job.clone());
        }
        Ok(())
    }

    async fn parked(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        limit: usize,
    ) -> Result<Vec<DeliveryJob>, CoreError> {
        Ok(lock(&self.parked)
            .get(&(owner.clone(), webhook_id.to_owned()))
            .map(|m| m.values().take(limit).cloned().collect())
            .unwrap_or_default())
    }

    async fn unpark(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        delivery_id: &str,
    ) -> Result<(), CoreError> {
        if let Some(m) = lock(&self.parked).get_mut(&(owner.clone(), webhook_id.to_owned())) {
            m.remove(delivery_id);
        }
        Ok(())
    }
}

/// Every job enqueued, with its delay, in order.
#[derive(Default)]
pub struct MemDeliveryQueue {
    pub jobs: Mutex<VecDeque<(DeliveryJob, Duration)>>,
}

impl MemDeliveryQueue {
    /// Takes the oldest job.
    pub fn pop(&self) -> Option<(DeliveryJob, Duration)> {
        lock(&self.jobs).pop_front()
    }

    pub fn len(&self) -> usize {
        lock(&self.jobs).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl DeliveryQueue for MemDeliveryQueue {
    async fn enqueue(&self, job: &DeliveryJob, delay: Duration) -> Result<(), CoreError> {
        lock(&self.jobs).push_back((job.clone(), delay));
        Ok(())
    }
}

/// One request a [`ScriptedSender`] received.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// Answers the scripted statuses in order (`None`: could not connect), then 204.
#[derive(Default)]
pub struct ScriptedSender {
    pub script: Mutex<VecDeque<Option<u16>>>,
    pub received: Mutex<Vec<Received>>,
}

impl ScriptedSender {
    pub fn answer(&self, statuses: &[Option<u16>]) {
        lock(&self.script).extend(statuses.iter().copied());
    }

    pub fn received(&self) -> Vec<Received> {
        lock(&self.received).clone()
    }
}

#[async_trait]
impl WebhookSender for ScriptedSender {
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: String) -> Sent {
        lock(&self.received).push(Received {
            url: url.to_owned(),
            headers: headers.to_vec(),
            body,
        });
        match lock(&self.script).pop_front().unwrap_or(Some(204)) {
            Some(code) => Sent {
                status_code: Some(code),
                error: None,
                duration_ms: 1,
                unanswered: false,
            },
            None => Sent {
                status_code: None,
                error: Some("could not connect".into()),
                duration_ms: 1,
                unanswered: true,
            },
        }
    }
}
