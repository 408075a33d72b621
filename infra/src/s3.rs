//! The object store over S3.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::{PresignedRequest as SdkPresigned, PresigningConfig};
use dropgate_core::CoreError;
use dropgate_core::objects::{ObjectSample, ObjectStore, PresignedRequest};
use dropgate_core::time::rfc3339;

use crate::error::sdk_error;

pub struct S3Store {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
}

pub(crate) fn presigning(ttl: Duration) -> Result<PresigningConfig, CoreError> {
    PresigningConfig::expires_in(ttl).map_err(|e| CoreError::upstream(format!("presign: {e}")))
}

pub(crate) fn convert(req: SdkPresigned, ttl: Duration) -> PresignedRequest {
    // Every header the SDK returns is signed and must be sent as is; `host` comes from the URL.
    let headers: BTreeMap<String, String> = req
        .headers()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    let expires = dropgate_core::time::after(chrono::Utc::now(), ttl);
    PresignedRequest {
        method: req.method().to_owned(),
        url: req.uri().to_owned(),
        headers,
        expires_at: rfc3339(expires),
    }
}

/// The code S3 answered with (`NoSuchKey`, `NoSuchUpload`, ...); `None` when it did not answer.
pub(crate) fn service_code<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> Option<&str> {
    e.as_service_error().and_then(ProvideErrorMetadata::code)
}

/// Parses the total from `Content-Range: bytes 0-8191/123456`.
fn total_from_range(range: &str) -> Option<u64> {
    range.rsplit('/').next()?.trim().parse().ok()
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn presign_put(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError> {
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(size as i64)
            .content_type(content_type)
            // A second PUT through the same URL would replace bytes the pipeline already judged.
            .if_none_match("*")
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| sdk_error("PutObject presign", e))?;
        let mut out = convert(req, ttl);
        // The SDK signs content-length but leaves it out of the header list it returns; clients
        // need the whole set.
        out.headers
            .entry("content-length".into())
            .or_insert_with(|| size.to_string());
        Ok(out)
    }

    async fn presign_get(
        &self,
        key: &str,
        content_disposition: &str,
        content_type: &str,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError> {
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(content_disposition)
            .response_content_type(content_type)
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| sdk_error("GetObject presign", e))?;
        Ok(convert(req, ttl))
    }

    async fn sample(&self, key: &str, max_bytes: u64) -> Result<Option<ObjectSample>, CoreError> {
        let last = max_bytes.saturating_sub(1);
        let resp = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{last}"))
            .send()
            .await;
        let mut resp = match resp {
            Ok(r) => r,
            Err(e) => {
                return match service_code(&e).unwrap_or("") {
                    "NoSuchKey" | "NotFound" => Ok(None),
                    // A range on an empty object is unsatisfiable: it exists and holds nothing.
                    // (Its encoding is not read: nothing is there to decode.)
                    "InvalidRange" => Ok(Some(ObjectSample::default())),
                    _ => Err(sdk_error("GetObject", e)),
                };
            }
        };
        let etag = resp.e_tag().map(|t| t.trim_matches('"').to_owned());
        // The ranged GET answers with the stored header: no extra call.
        let content_encoding = resp
            .content_encoding()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned);
        let size = resp
            .content_range()
            .and_then(total_from_range)
            .or_else(|| resp.content_length().map(|n| n.max(0) as u64))
            .unwrap_or(0);
        // Read at most `max_bytes` even if a server ignored the range, then drop the stream.
        let mut bytes = Vec::with_capacity(max_bytes.min(64 * 1024) as usize);
        while (bytes.len() as u64) < max_bytes {
            match resp.body.next().await {
                Some(Ok(chunk)) => {
                    let room = max_bytes as usize - bytes.len();
                    bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Some(Err(e)) => return Err(CoreError::upstream(format!("GetObject body: {e}"))),
                None => break,
            }
        }
        Ok(Some(ObjectSample {
            bytes,
            size,
            etag,
            content_encoding,
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), CoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk_error("DeleteObject", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_range_total() {
        assert_eq!(
            super::total_from_range("bytes 0-8191/52428800"),
            Some(52_428_800)
        );
        assert_eq!(super::total_from_range("bytes */0"), Some(0));
        assert_eq!(super::total_from_range("garbage"), None);
    }
}
