//! The DynamoDB tables of the catalogue: created with their keys, indexes, stream and TTL, or,
//! when they exist from an older version, given the indexes and stream they lack.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, SseSpecification, SseType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};

use super::sdk::{code_of, err};
use super::shapes::{IndexShape, TABLE_SHAPES, TableShape};
use crate::error::LocalError;

fn key(name: &str, t: KeyType) -> Result<KeySchemaElement, LocalError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(t)
        .build()
        .map_err(|e| err("key", e))
}

fn attr(name: &str) -> Result<AttributeDefinition, LocalError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| err("attribute", e))
}

/// The attributes a table's keys and indexes use, each once (DynamoDB refuses duplicates).
fn attribute_definitions(t: &TableShape) -> Result<Vec<AttributeDefinition>, LocalError> {
    let mut names: Vec<&str> = vec![t.partition_key];
    names.extend(t.sort_key);
    for index in t.indexes {
        names.push(index.partition_key);
        names.extend(index.sort_key);
    }
    let mut defs = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if !names[..i].contains(name) {
            defs.push(attr(name)?);
        }
    }
    Ok(defs)
}

fn index_keys(index: &IndexShape) -> Result<Vec<KeySchemaElement>, LocalError> {
    let mut keys = vec![key(index.partition_key, KeyType::Hash)?];
    if let Some(sk) = index.sort_key {
        keys.push(key(sk, KeyType::Range)?);
    }
    Ok(keys)
}

fn projection_all() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

pub(super) async fn tables(sdk: &SdkConfig) -> Result<(), LocalError> {
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    for t in TABLE_SHAPES {
        let mut keys = vec![key(t.partition_key, KeyType::Hash)?];
        if let Some(sk) = t.sort_key {
            keys.push(key(sk, KeyType::Range)?);
        }
        let mut req = ddb
            .create_table()
            .table_name(t.name)
            .billing_mode(BillingMode::PayPerRequest)
            .sse_specification(
                SseSpecification::builder()
                    .enabled(true)
                    .sse_type(SseType::Kms)
                    .build(),
            )
            .set_attribute_definitions(Some(attribute_definitions(t)?))
            .set_key_schema(Some(keys));
        if t.stream {
            req = req.stream_specification(new_images());
        }
        for index in t.indexes {
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(index_keys(index)?))
                    .projection(projection_all())
                    .build()
                    .map_err(|e| err("gsi", e))?,
            );
        }
        match req.send().await {
            Ok(_) => {}
            // Provisioned before (possibly by an older version): add the indexes it lacks.
            Err(e) if code_of(&e) == Some("ResourceInUseException") => {
                missing_indexes(&ddb, t).await?;
                missing_stream(&ddb, t).await?;
                continue;
            }
            Err(e) => return Err(err("CreateTable", e)),
        }
        ddb.update_time_to_live()
            .table_name(t.name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(t.ttl_attribute)
                    .enabled(true)
                    .build()
                    .map_err(|e| err("ttl", e))?,
            )
            .send()
            .await
            .map_err(|e| err("UpdateTimeToLive", e))?;
    }
    Ok(())
}

/// Creates the indexes of `t` that its existing table lacks, as a deploy of template.yaml does
/// on a stack created before they existed (one index per UpdateTable, as DynamoDB requires).
async fn missing_indexes(ddb: &aws_sdk_dynamodb::Client, t: &TableShape) -> Result<(), LocalError> {
    let described = ddb
        .describe_table()
        .table_name(t.name)
        .send()
        .await
        .map_err(|e| err("DescribeTable", e))?;
    let existing: Vec<&str> = described
        .table()
        .map(|d| d.global_secondary_indexes())
        .unwrap_or_default()
        .iter()
        .filter_map(|g| g.index_name())
        .collect();
    for index in t.indexes {
        if existing.contains(&index.name) {
            continue;
        }
        let create = CreateGlobalSecondaryIndexAction::builder()
            .index_name(index.name)
            .set_key_schema(Some(index_keys(index)?))
            .projection(projection_all())
            .build()
            .map_err(|e| err("gsi", e))?;
        ddb.update_table()
            .table_name(t.name)
            .set_attribute_definitions(Some(attribute_definitions(t)?))
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(create).build(),
            )
            .send()
            .await
            .map_err(|e| err(&format!("UpdateTable {} (index {})", t.name, index.name), e))?;
    }
    Ok(())
}

fn new_images() -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewImage)
        .build()
        .unwrap_or_else(|_| unreachable!("both fields are set"))
}

/// Turns on the stream of a table provisioned before it had one.
async fn missing_stream(ddb: &aws_sdk_dynamodb::Client, t: &TableShape) -> Result<(), LocalError> {
    if !t.stream || stream_arn(ddb, t.name).await?.is_some() {
        return Ok(());
    }
    ddb.update_table()
        .table_name(t.name)
        .stream_specification(new_images())
        .send()
        .await
        .map_err(|e| err(&format!("UpdateTable {} (stream)", t.name), e))?;
    Ok(())
}

/// The table's current change stream, if it has one.
pub async fn stream_arn(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<Option<String>, LocalError> {
    let d = ddb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| err("DescribeTable", e))?;
    Ok(d.table()
        .filter(|t| t.stream_specification().is_some_and(|s| s.stream_enabled()))
        .and_then(|t| t.latest_stream_arn())
        .map(str::to_owned))
}
