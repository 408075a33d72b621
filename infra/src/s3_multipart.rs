//! Multipart uploads over S3: the client sends each part straight to S3 through a presigned
//! `UploadPart`; the server only starts, lists, completes and aborts.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::operation::list_parts::ListPartsOutput;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use dropgate_core::CoreError;
use dropgate_core::multipart::{MultipartStore, PartTag, StoredPart};
use dropgate_core::objects::PresignedRequest;

use crate::error::sdk_error;
use crate::s3::{S3Store, convert, presigning, service_code};

/// Assembling a large object takes S3 seconds (and the emulator, which copies the bytes, more):
/// one attempt that may use most of the API's request budget, never a retry racing the first
/// (a retried completion finds the upload gone). A completion cut short still finishes in S3;
/// the client's next completion finds the object.
fn completion_limits() -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::default()
        .timeout_config(
            aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(std::time::Duration::from_secs(7))
                .operation_timeout(std::time::Duration::from_secs(7))
                .build(),
        )
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::standard().with_max_attempts(1))
}

/// S3's largest ListParts page (and its default).
const PARTS_PER_PAGE: i32 = 1000;
/// S3 holds at most 10,000 parts per upload, so 10 full pages; one more page of slack, and a
/// store that keeps answering "truncated" past that is broken, not big.
const MAX_PAGES: usize = 11;

/// One ListParts page: its parts, and the marker of the next page when there is one.
struct PartsPage {
    parts: Vec<StoredPart>,
    next: Option<String>,
}

impl PartsPage {
    fn from_output(out: &ListPartsOutput) -> Self {
        let parts = out
            .parts()
            .iter()
            .filter_map(|p| {
                Some(StoredPart {
                    number: u32::try_from(p.part_number()?).ok()?,
                    size: p.size().unwrap_or(0).max(0) as u64,
                    etag: unquote(p.e_tag().unwrap_or("")),
                })
            })
            .collect();
        let next = if out.is_truncated().unwrap_or(false) {
            out.next_part_number_marker().map(str::to_owned)
        } else {
            None
        };
        Self { parts, next }
    }
}

/// Every part over all pages, by number; `None` as soon as a page says the upload is gone.
/// `fetch` gets the page's marker (`None` for the first page).
async fn all_parts<F, Fut>(mut fetch: F) -> Result<Option<Vec<StoredPart>>, CoreError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Option<PartsPage>, CoreError>>,
{
    let mut parts = Vec::new();
    let mut marker = None;
    for _ in 0..MAX_PAGES {
        let Some(page) = fetch(marker.take()).await? else {
            return Ok(None);
        };
        parts.extend(page.parts);
        match page.next {
            Some(next) => marker = Some(next),
            None => {
                parts.sort_by_key(|p| p.number);
                return Ok(Some(parts));
            }
        }
    }
    Err(CoreError::upstream(format!(
        "ListParts: still truncated after {MAX_PAGES} pages"
    )))
}

/// The domain keeps ETags bare; S3 gives and takes them quoted.
fn unquote(etag: &str) -> String {
    etag.trim_matches('"').to_owned()
}

/// What S3's refusal of a completion means for the domain; `None` for any other failure.
fn refusal(code: Option<&str>) -> Option<CoreError> {
    Some(match code? {
        "NoSuchUpload" => CoreError::conflict(
            "upload_gone",
            "the multipart upload no longer exists (completed or aborted)",
        ),
        "InvalidPart" | "InvalidPartOrder" | "EntityTooSmall" => CoreError::conflict(
            "incomplete_upload",
            "the store refused the parts: missing, changed, out of order or too small",
        ),
        // The answer to `If-None-Match: *` when the key already holds an object.
        "PreconditionFailed" => {
            CoreError::conflict("object_exists", "an object already exists at this key")
        }
        // S3's 409 when another conditional write to the same key is in flight (two completions
        // of one upload racing): the client asks again, as for a slow assembly.
        "ConditionalRequestConflict" => CoreError::Completing,
        _ => return None,
    })
}

fn part_number(number: u32) -> Result<i32, CoreError> {
    i32::try_from(number).map_err(|_| {
        CoreError::invalid("invalid_part_number", format!("part {number} is too large"))
    })
}

#[async_trait]
impl MultipartStore for S3Store {
    async fn start_multipart(&self, key: &str, content_type: &str) -> Result<String, CoreError> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| sdk_error("CreateMultipartUpload", e))?;
        out.upload_id()
            .map(str::to_owned)
            .ok_or_else(|| CoreError::upstream("CreateMultipartUpload: no upload id"))
    }

    async fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        size: u64,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError> {
        let req = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(part_number(number)?)
            .content_length(size as i64)
            .presigned(presigning(ttl)?)
            .await
            .map_err(|e| sdk_error("UploadPart presign", e))?;
        let mut out = convert(req, ttl);
        // Signed but left out of the SDK's header list, as for presign_put.
        out.headers
            .entry("content-length".into())
            .or_insert_with(|| size.to_string());
        Ok(out)
    }

    async fn list_parts(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<Option<Vec<StoredPart>>, CoreError> {
        all_parts(|marker| async move {
            let out = self
                .client
                .list_parts()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .max_parts(PARTS_PER_PAGE)
                .set_part_number_marker(marker)
                .send()
                .await;
            match out {
                Ok(out) => Ok(Some(PartsPage::from_output(&out))),
                Err(e) if service_code(&e) == Some("NoSuchUpload") => Ok(None),
                Err(e) => Err(sdk_error("ListParts", e)),
            }
        })
        .await
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartTag],
    ) -> Result<(), CoreError> {
        let parts = parts
            .iter()
            .map(|p| {
                Ok(CompletedPart::builder()
                    .part_number(part_number(p.number)?)
                    .e_tag(format!("\"{}\"", p.etag.trim_matches('"')))
                    .build())
            })
            .collect::<Result<Vec<_>, CoreError>>()?;
        let res = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            // An object already at the key was judged by the pipeline; it must not be replaced.
            .if_none_match("*")
            .customize()
            .config_override(completion_limits())
            .send()
            .await;
        res.map(|_| ()).map_err(|e| {
            refusal(service_code(&e)).unwrap_or_else(|| sdk_error("CompleteMultipartUpload", e))
        })
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), CoreError> {
        let res = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if service_code(&e) == Some("NoSuchUpload") => Ok(()),
            Err(e) => Err(sdk_error("AbortMultipartUpload", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

    use super::*;

    fn store() -> S3Store {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url("http://127.0.0.1:9")
            .force_path_style(true)
            .build();
        S3Store {
            client: aws_sdk_s3::Client::from_conf(conf),
            bucket: "b".into(),
        }
    }

    fn query<'a>(url: &'a str, name: &str) -> Option<&'a str> {
        url.split_once('?')?
            .1
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
    }

    #[tokio::test]
    async fn a_part_url_signs_its_size_number_upload_and_lifetime() {
        let req = store()
            .presign_part(
                "uploads/o/f",
                "up-1",
                7,
                8 * 1024 * 1024,
                Duration::from_secs(900),
            )
            .await
            .unwrap();
        assert_eq!(req.method, "PUT");
        assert_eq!(
            query(&req.url, "X-Amz-SignedHeaders"),
            Some("content-length%3Bhost"),
            "{}",
            req.url
        );
        assert_eq!(query(&req.url, "partNumber"), Some("7"));
        assert_eq!(query(&req.url, "uploadId"), Some("up-1"));
        assert_eq!(query(&req.url, "X-Amz-Expires"), Some("900"));
        assert_eq!(
            req.headers.get("content-length").map(String::as_str),
            Some("8388608")
        );
    }

    fn part(number: u32) -> StoredPart {
        StoredPart {
            number,
            size: 5,
            etag: format!("e{number}"),
        }
    }

    /// Serves `pages` in turn and records the marker each fetch was given.
    async fn run(
        pages: Vec<Option<PartsPage>>,
    ) -> (
        Result<Option<Vec<StoredPart>>, CoreError>,
        Vec<Option<String>>,
    ) {
        let pages = Mutex::new(VecDeque::from(pages));
        let asked = Mutex::new(Vec::new());
        let got = all_parts(|marker| {
            asked.lock().unwrap().push(marker);
            let page = pages.lock().unwrap().pop_front().expect("no more pages");
            async move { Ok(page) }
        })
        .await;
        (got, asked.into_inner().unwrap())
    }

    #[tokio::test]
    async fn listing_follows_markers_and_sorts() {
        let (got, asked) = run(vec![
            Some(PartsPage {
                parts: vec![part(2), part(1)],
                next: Some("2".into()),
            }),
            Some(PartsPage {
                parts: vec![part(4), part(3)],
                next: Some("4".into()),
            }),
            Some(PartsPage {
                parts: vec![part(5)],
                next: None,
            }),
        ])
        .await;
        let numbers: Vec<u32> = got.unwrap().unwrap().iter().map(|p| p.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5]);
        assert_eq!(asked, [None, Some("2".into()), Some("4".into())]);
    }

    #[tokio::test]
    async fn an_upload_gone_between_pages_is_none() {
        let (got, _) = run(vec![
            Some(PartsPage {
                parts: vec![part(1)],
                next: Some("1".into()),
            }),
            None,
        ])
        .await;
        assert_eq!(got.unwrap(), None);
    }

    #[tokio::test]
    async fn a_listing_that_never_ends_is_an_error() {
        let endless = (0..MAX_PAGES)
            .map(|i| {
                Some(PartsPage {
                    parts: vec![],
                    next: Some(i.to_string()),
                })
            })
            .collect();
        let (got, asked) = run(endless).await;
        assert!(matches!(got, Err(CoreError::Upstream(_))));
        assert_eq!(asked.len(), MAX_PAGES);
    }

    #[test]
    fn completion_refusals_are_conflicts_and_the_rest_goes_to_sdk_error() {
        let code = |c| match refusal(Some(c)) {
            Some(CoreError::Conflict { code, .. }) => Some(code),
            _ => None,
        };
        assert_eq!(code("NoSuchUpload"), Some("upload_gone"));
        for c in ["InvalidPart", "InvalidPartOrder", "EntityTooSmall"] {
            assert_eq!(code(c), Some("incomplete_upload"));
        }
        assert_eq!(code("PreconditionFailed"), Some("object_exists"));
        assert!(matches!(
            refusal(Some("ConditionalRequestConflict")),
            Some(CoreError::Completing)
        ));
        assert!(refusal(Some("InternalError")).is_none());
        assert_eq!(code("SlowDown"), None);
        assert!(refusal(None).is_none());
    }

    #[test]
    fn the_service_code_is_read_from_the_answer() {
        use aws_sdk_s3::config::http::HttpResponse;
        use aws_sdk_s3::error::{ErrorMetadata, SdkError};
        use aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadError;
        use aws_sdk_s3::primitives::SdkBody;

        let e = SdkError::service_error(
            CompleteMultipartUploadError::generic(
                ErrorMetadata::builder().code("NoSuchUpload").build(),
            ),
            HttpResponse::new(404.try_into().unwrap(), SdkBody::empty()),
        );
        assert_eq!(service_code(&e), Some("NoSuchUpload"));
    }

    #[test]
    fn a_page_unquotes_etags_and_stops_unless_truncated() {
        let part = |n: i32| {
            aws_sdk_s3::types::Part::builder()
                .part_number(n)
                .size(8)
                .e_tag(format!("\"tag{n}\""))
                .build()
        };
        let out = ListPartsOutput::builder()
            .parts(part(1))
            .parts(part(2))
            .is_truncated(true)
            .next_part_number_marker("2")
            .build();
        let page = PartsPage::from_output(&out);
        assert_eq!(page.next.as_deref(), Some("2"));
        assert_eq!(
            page.parts[1],
            StoredPart {
                number: 2,
                size: 8,
                etag: "tag2".into()
            }
        );
        let last = ListPartsOutput::builder()
            .parts(part(3))
            .is_truncated(false)
            .next_part_number_marker("3")
            .build();
        assert_eq!(PartsPage::from_output(&last).next, None);
    }
}
