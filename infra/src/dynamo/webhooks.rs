//! [`WebhookStore`] on the `webhooks` table: PK `owner`, SK `sk`. A webhook is the item
//! `sk = "hook#<id>"` (ids are time-ordered, so a query lists them oldest first); the owner's
//! count is the item `sk = "count"` (`hooks`), moved in the same transaction as every insert
//! (on the condition that it stays within the limit) and removal, so that concurrent
//! registrations never pass `MAX_WEBHOOKS`. The leases of a webhook's attempts in flight are
//! attributes of its item (`lease_<slot>`: the lease's end and holder, so that a condition
//! compares it with the time), and so is `cap_wait_until`; they go with the webhook.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, Delete, Put, ReturnValue, TransactWriteItem, Update,
};
use dropgate_core::events::EventKind;
use dropgate_core::webhooks::{Webhook, WebhookEdit, WebhookState, WebhookStore};
use dropgate_core::{CoreError, OwnerId};

use super::paged::OwnerPrefix;
use super::{Tx, corrupt, get_s, names, s, transact, values};
use crate::error::sdk_error;

/// The sort key prefix of webhooks.
pub const HOOK: &str = "hook#";
/// The sort key of an owner's count.
pub const COUNT: &str = "count";
/// The attribute saying until when jobs wait on the cap of attempts in flight.
const CAP_WAIT: &str = "cap_wait_until";

fn lease_attr(slot: u32) -> String {
    format!("lease_{slot}")
}

pub struct DynamoWebhooks {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

fn key(owner: &OwnerId, sk: &str) -> HashMap<String, Av> {
    HashMap::from([
        ("owner".to_owned(), s(owner.as_str())),
        ("sk".to_owned(), s(sk)),
    ])
}

fn hook_sk(id: &str) -> String {
    format!("{HOOK}{id}")
}

fn events_attr(events: &[EventKind]) -> Av {
    Av::L(events.iter().map(|k| s(k.as_str())).collect())
}

fn item(w: &Webhook) -> HashMap<String, Av> {
    let mut item = key(&w.owner, &hook_sk(&w.id));
    item.extend([
        ("id".to_owned(), s(&w.id)),
        ("url".to_owned(), s(&w.url)),
        ("events".to_owned(), events_attr(&w.events)),
        ("sealed_secret".to_owned(), s(&w.sealed_secret)),
        ("created_at".to_owned(), s(&w.created_at)),
        ("state".to_owned(), s(w.state.as_str())),
    ]);
    if let Some(d) = &w.description {
        item.insert("description".to_owned(), s(d));
    }
    item
}

fn from_item(item: &HashMap<String, Av>) -> Result<Webhook, CoreError> {
    let text = |k: &str| get_s(item, k).map(str::to_owned).ok_or_else(|| corrupt(k));
    let events = match item.get("events") {
        Some(Av::L(l)) => l
            .iter()
            .map(|v| {
                v.as_s()
                    .ok()
                    .and_then(|n| EventKind::parse(n))
                    .ok_or_else(|| corrupt("events"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(corrupt("events")),
    };
    Ok(Webhook {
        id: text("id")?,
        owner: OwnerId::parse(&text("owner")?).map_err(|_| corrupt("owner"))?,
        url: text("url")?,
        events,
        description: get_s(item, "description").map(str::to_owned),
        sealed_secret: text("sealed_secret")?,
        created_at: text("created_at")?,
        state: get_s(item, "state")
            .and_then(WebhookState::parse)
            .ok_or_else(|| corrupt("state"))?,
        stalled_until: get_s(item, "stalled_until").map(str::to_owned),
        cap_wait_until: get_s(item, CAP_WAIT).map(str::to_owned),
    })
}

#[async_trait]
impl WebhookStore for DynamoWebhooks {
    async fn insert(&self, hook: &Webhook, max: u32) -> Result<bool, CoreError> {
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(&hook.owner, COUNT)))
            .update_expression("SET hooks = if_not_exists(hooks, :zero) + :one")
            .condition_expression("attribute_not_exists(hooks) OR hooks < :max")
            .set_expression_attribute_values(values(vec![
                (":zero", Av::N("0".into())),
                (":one", Av::N("1".into())),
                (":max", Av::N(max.to_string())),
            ]))
            .build()
            .map_err(CoreError::upstream)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item(hook)))
            .condition_expression("attribute_not_exists(sk)")
            .build()
            .map_err(CoreError::upstream)?;
        let items = vec![
            TransactWriteItem::builder().update(count).build(),
            TransactWriteItem::builder().put(put).build(),
        ];
        match transact(&self.client, "insert webhook", items).await? {
            Tx::Committed => Ok(true),
            Tx::ConditionFailed(failed) if failed.first() == Some(&true) => Ok(false),
            Tx::ConditionFailed(_) => Err(CoreError::upstream(format!(
                "webhook id {} already taken",
                hook.id
            ))),
        }
    }

    async fn get(&self, owner: &OwnerId, id: &str) -> Result<Option<Webhook>, CoreError> {
        super::get_item(&self.client, &self.table, key(owner, &hook_sk(id)))
            .await?
            .as_ref()
            .map(from_item)
            .transpose()
    }

    async fn list(&self, owner: &OwnerId) -> Result<Vec<Webhook>, CoreError> {
        OwnerPrefix::new(&self.client, &self.table, owner, HOOK)
            .all()
            .await?
            .iter()
            .map(from_item)
            .collect()
    }

    async fn edit(
        &self,
        owner: &OwnerId,
        id: &str,
        edit: &WebhookEdit,
    ) -> Result<Option<Webhook>, CoreError> {
        let mut sets = Vec::new();
        let mut vals = vec![];
        if let Some(events) = &edit.events {
            sets.push("events = :e");
            vals.push((":e", events_attr(events)));
        }
        if let Some(state) = edit.state {
            sets.push("#st = :s");
            vals.push((":s", s(state.as_str())));
            // Resumed: its failures in a row start again.
            if state == WebhookState::Active {
                sets.push("failures = :zero");
                vals.push((":zero", Av::N("0".into())));
            }
        }
        if sets.is_empty() {
            return self.get(owner, id).await;
        }
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(owner, &hook_sk(id))))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression("attribute_exists(sk)")
            .set_expression_attribute_names(
                edit.state
                    .map(|_| HashMap::from([("#st".to_owned(), "state".to_owned())])),
            )
            .set_expression_attribute_values(values(vals))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(o) => o.attributes.as_ref().map(from_item).transpose(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn remove(&self, owner: &OwnerId, id: &str) -> Result<bool, CoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(owner, &hook_sk(id))))
            .condition_expression("attribute_exists(sk)")
            .build()
            .map_err(CoreError::upstream)?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(owner, COUNT)))
            .update_expression("SET hooks = hooks - :one")
            .condition_expression("hooks > :zero")
            .set_expression_attribute_values(values(vec![
                (":zero", Av::N("0".into())),
                (":one", Av::N("1".into())),
            ]))
            .build()
            .map_err(CoreError::upstream)?;
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        match transact(&self.client, "remove webhook", items).await? {
            Tx::Committed => Ok(true),
            Tx::ConditionFailed(failed) if failed.first() == Some(&true) => Ok(false),
            // The webhook is there but the count says none: mend the count by removing alone.
            Tx::ConditionFailed(_) => delete_alone(&self.client, &self.table, owner, id).await,
        }
    }

    async fn count_outcome(
        &self,
        owner: &OwnerId,
        id: &str,
        ok: bool,
    ) -> Result<Option<u32>, CoreError> {
        let (expr, val) = if ok {
            // A success also ends the webhook's stall window, in the same write.
            ("SET failures = :v REMOVE stalled_until", Av::N("0".into()))
        } else {
            ("ADD failures :v", Av::N("1".into()))
        };
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(owner, &hook_sk(id))))
            .update_expression(expr)
            .condition_expression("attribute_exists(sk)")
            .set_expression_attribute_values(values(vec![(":v", val)]))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match out {
            // A success sets 0: nothing to read back. (The emulator answers no attributes for
            // a SET that leaves the value as it was, which read as a corrupt record and sent
            // every success after the first back to the queue.)
            Ok(_) if ok => Ok(Some(0)),
            Ok(o) => {
                let n = o
                    .attributes
                    .as_ref()
                    .and_then(|a| super::get_n(a, "failures"))
                    .ok_or_else(|| corrupt("failures"))?;
                Ok(Some(u32::try_from(n).unwrap_or(u32::MAX)))
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn pause_if_active(&self, owner: &OwnerId, id: &str) -> Result<bool, CoreError> {
        super::update_if(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(owner, &hook_sk(id))))
                .update_expression("SET #st = :paused")
                .condition_expression("#st = :active")
                .set_expression_attribute_names(names(&[("#st", "state")]))
                .set_expression_attribute_values(values(vec![
                    (":paused", s(WebhookState::Paused.as_str())),
                    (":active", s(WebhookState::Active.as_str())),
                ])),
        )
        .await
    }

    async fn stall(
        &self,
        owner: &OwnerId,
        id: &str,
        until: &str,
        if_seen: Option<&str>,
    ) -> Result<bool, CoreError> {
        let mut vals = vec![(":u", s(until))];
        let condition = match if_seen {
            Some(seen) => {
                vals.push((":seen", s(seen)));
                "attribute_exists(sk) AND stalled_until = :seen"
            }
            None => "attribute_exists(sk)",
        };
        super::update_if(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(owner, &hook_sk(id))))
                .update_expression("SET stalled_until = :u")
                .condition_expression(condition)
                .set_expression_attribute_values(values(vals)),
        )
        .await
    }

    async fn take_lease(
        &self,
        owner: &OwnerId,
        id: &str,
        slot: u32,
        lease: &str,
        now: &str,
    ) -> Result<bool, CoreError> {
        // A lease starts with its end: a string comparison with `now` tells an ended one.
        super::update_if(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(owner, &hook_sk(id))))
                .update_expression("SET #l = :lease")
                .condition_expression(
                    "attribute_exists(sk) AND (attribute_not_exists(#l) OR #l < :now) \
                     AND (attribute_not_exists(stalled_until) OR stalled_until < :now)",
                )
                .set_expression_attribute_names(names(&[("#l", &lease_attr(slot))]))
                .set_expression_attribute_values(values(vec![
                    (":lease", s(lease)),
                    (":now", s(now)),
                ])),
        )
        .await
    }

    async fn free_lease(
        &self,
        owner: &OwnerId,
        id: &str,
        slot: u32,
        lease: &str,
    ) -> Result<Option<String>, CoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(owner, &hook_sk(id))))
            .update_expression("REMOVE #l, #w")
            .condition_expression("#l = :lease")
            .set_expression_attribute_names(names(&[("#l", &lease_attr(slot)), ("#w", CAP_WAIT)]))
            .set_expression_attribute_values(values(vec![(":lease", s(lease))]))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match out {
            Ok(o) => Ok(o
                .attributes
                .as_ref()
                .and_then(|a| get_s(a, CAP_WAIT))
                .map(str::to_owned)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn wait_on_cap(
        &self,
        owner: &OwnerId,
        id: &str,
        until: &str,
        unless_from: &str,
    ) -> Result<bool, CoreError> {
        super::update_if(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(owner, &hook_sk(id))))
                .update_expression("SET #w = :u")
                .condition_expression(
                    "attribute_exists(sk) AND (attribute_not_exists(#w) OR #w < :from)",
                )
                .set_expression_attribute_names(names(&[("#w", CAP_WAIT)]))
                .set_expression_attribute_values(values(vec![
                    (":u", s(until)),
                    (":from", s(unless_from)),
                ])),
        )
        .await
    }
}

/// Removes the webhook without moving the count (a count that somehow fell behind must not
/// keep a webhook alive).
async fn delete_alone(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    owner: &OwnerId,
    id: &str,
) -> Result<bool, CoreError> {
    super::delete_if(
        client
            .delete_item()
            .table_name(table)
            .set_key(Some(key(owner, &hook_sk(id))))
            .condition_expression("attribute_exists(sk)"),
    )
    .await
}
