//! `/v2/snapshots`: parameters, their validation, and the three calls (list, retrieve, delete).

use std::time::Duration;

use reqwest::Method;
use strum::{EnumString, IntoStaticStr, VariantNames};

use crate::core::blocking::off_the_runtime;
use crate::core::error::{Error, Result};
use crate::core::http::{HttpClient, Request, Response};
use crate::core::models::{decode_envelope, decode_page, SnapshotEnvelope, SnapshotPage};

pub const PATH: &str = "/v2/snapshots";
pub use crate::core::limits::MAX_PER_PAGE;
/// What the API uses when `per_page` is not sent.
pub const DEFAULT_PER_PAGE: u64 = 20;

/// What a snapshot was taken of (`resource_type`, as a filter of `list` and in every snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "snake_case")]
pub enum ResourceType {
    Droplet,
    Volume,
}

pub fn validate_resource_type(value: &str) -> Result<String> {
    match value.parse::<ResourceType>() {
        Ok(t) => Ok(<&str>::from(t).to_owned()),
        Err(_) => {
            let names: Vec<String> = ResourceType::VARIANTS.iter().map(|n| format!("'{n}'")).collect();
            Err(Error::invalid(
                "resource_type",
                format!("resource_type must be one of {}, got {value:?}", names.join(", ")),
            ))
        }
    }
}

/// A snapshot id as one URL path segment (the one id encoder: `delete`, `retrieve`, `delete_many` and a prune
/// plan's ids all go through it). Droplet snapshot ids are integers, volume snapshot ids UUID strings; anything
/// else is percent-encoded whole (`/`, `?`, `#`, `%` and spaces included), so it can't leave its segment.
///
/// `""`, `"."` and `".."` are refused: a URL parser treats `.`/`..` (and their `%2e` spellings, WHATWG URL
/// "single-dot/double-dot path segment") as dot segments, so no encoding of them stays one segment —
/// `DELETE /v2/snapshots/..` would be sent as `DELETE /v2/`.
pub fn validate_snapshot_id(id: &str) -> Result<String> {
    let id = id.trim();
    if id.is_empty() || id == "." || id == ".." {
        return Err(Error::invalid(
            "snapshot_id",
            format!(
                "snapshot_id must be an integer or a non-empty string other than '.' and '..' (it is one URL path \
                 segment), got {id:?}"
            ),
        ));
    }
    Ok(url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20"))
}

/// Options every call takes: the SDK's `extra_headers`, `extra_query`, `timeout`.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    pub extra_headers: Vec<(String, String)>,
    pub extra_query: Vec<(String, String)>,
    pub timeout: Option<Duration>,
}

/// Validated `list()` parameters; `None` means not sent.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub resource_type: Option<String>,
}

impl ListParams {
    /// The query in the SDK's order, with `extra_query` merged over it (replacing keys it names).
    pub fn query(&self, extra: &[(String, String)]) -> Vec<(String, String)> {
        let mut q: Vec<(String, String)> = Vec::with_capacity(3 + extra.len());
        if let Some(p) = self.page {
            q.push(("page".into(), p.to_string()));
        }
        if let Some(p) = self.per_page {
            q.push(("per_page".into(), p.to_string()));
        }
        if let Some(r) = &self.resource_type {
            q.push(("resource_type".into(), r.clone()));
        }
        for (k, v) in extra {
            if let Some(slot) = q.iter_mut().find(|(name, _)| name == k) {
                slot.1.clone_from(v);
            } else {
                q.push((k.clone(), v.clone()));
            }
        }
        q
    }
}

fn request(method: Method, path: String, query: Vec<(String, String)>, opts: &CallOptions) -> Request {
    Request {
        method,
        path,
        query,
        headers: opts.extra_headers.clone(),
        timeout: opts.timeout,
    }
}

pub async fn list_raw(http: &HttpClient, params: &ListParams, opts: &CallOptions) -> Result<Response> {
    http.send(&request(
        Method::GET,
        PATH.to_owned(),
        params.query(&opts.extra_query),
        opts,
    ))
    .await
}

/// Bodies from this size on (5,000 or so snapshots; `per_page=200` gives about 50 KB) are decoded off the runtime's
/// worker, so the requests in flight don't wait for them.
const BIG_BODY: usize = 1 << 20;

pub fn parse_list(resp: &Response) -> Result<SnapshotPage> {
    let decode = || decode_page(&resp.body).map_err(|e| resp.invalid(e.to_string()));
    if resp.body.len() >= BIG_BODY {
        off_the_runtime(decode)
    } else {
        decode()
    }
}

pub async fn list(http: &HttpClient, params: &ListParams, opts: &CallOptions) -> Result<SnapshotPage> {
    parse_list(&list_raw(http, params, opts).await?)
}

pub async fn retrieve_raw(http: &HttpClient, id: &str, opts: &CallOptions) -> Result<Response> {
    let path = format!("{PATH}/{}", validate_snapshot_id(id)?);
    http.send(&request(Method::GET, path, opts.extra_query.clone(), opts))
        .await
}

pub fn parse_retrieve(resp: &Response) -> Result<SnapshotEnvelope> {
    decode_envelope(&resp.body).map_err(|e| resp.invalid(e.to_string()))
}

pub async fn retrieve(http: &HttpClient, id: &str, opts: &CallOptions) -> Result<SnapshotEnvelope> {
    parse_retrieve(&retrieve_raw(http, id, opts).await?)
}

pub async fn delete_raw(http: &HttpClient, id: &str, opts: &CallOptions) -> Result<Response> {
    let path = format!("{PATH}/{}", validate_snapshot_id(id)?);
    http.send(&request(Method::DELETE, path, opts.extra_query.clone(), opts))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_messages_name_the_parameter() {
        assert!(validate_resource_type("volume").is_ok());
        assert_eq!(
            validate_resource_type("image").unwrap_err().to_string(),
            "resource_type must be one of 'droplet', 'volume', got \"image\""
        );
        assert_eq!(validate_snapshot_id(" 6372321 ").unwrap(), "6372321");
        assert_eq!(validate_snapshot_id("a/b c").unwrap(), "a%2Fb%20c");
        assert!(validate_snapshot_id("").is_err());
        for dots in [".", "..", " .. ", "\t.\n"] {
            let err = validate_snapshot_id(dots).unwrap_err().to_string();
            assert!(err.contains("snapshot_id") && err.contains("'..'"), "{err}");
        }
        // Only the whole id is a dot segment; dots inside one, and `%2e` spelled out, stay in their segment.
        assert_eq!(validate_snapshot_id("...").unwrap(), "...");
        assert_eq!(validate_snapshot_id("a/../b").unwrap(), "a%2F..%2Fb");
        assert_eq!(validate_snapshot_id("%2e%2e").unwrap(), "%252e%252e");
        for id in ["...", "a/../b", "%2e%2e", "./x", "?x", "#x"] {
            let url = url::Url::parse(&format!("http://h{PATH}/{}", validate_snapshot_id(id).unwrap())).unwrap();
            assert!(
                url.path().starts_with("/v2/snapshots/") && url.path().len() > 14,
                "{id}: {url}"
            );
            assert_eq!(url.path().matches('/').count(), 3, "{id}: {url}");
        }
    }

    #[test]
    fn query_sends_only_given_params_and_extra_query_wins() {
        let p = ListParams {
            page: None,
            per_page: Some(200),
            resource_type: Some("droplet".into()),
        };
        assert_eq!(
            p.query(&[]),
            vec![
                ("per_page".into(), "200".into()),
                ("resource_type".into(), "droplet".into())
            ]
        );
        let q = p.query(&[("per_page".into(), "7".into()), ("region".into(), "nyc3".into())]);
        assert_eq!(
            q,
            vec![
                ("per_page".into(), "7".into()),
                ("resource_type".into(), "droplet".into()),
                ("region".into(), "nyc3".into())
            ]
        );
        assert!(ListParams::default().query(&[]).is_empty());
    }
}
