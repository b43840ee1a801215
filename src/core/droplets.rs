//! `/v2/droplets` and `/v2/volumes`: the list parameters with the SDK's names
//! (`gradient/resources/gpu_droplets/gpu_droplets.py` `list`, `gradient/resources/gpu_droplets/volumes/volumes.py`
//! `list`), their checks, one-page calls, and the [`Collection`]s that `list_all` walks.

use reqwest::Method;

use crate::core::error::{Error, Result};
use crate::core::http::{HttpClient, Request, Response};
use crate::core::models::{decode_droplet_page, decode_volume_page, Droplet, DropletPage, Pages, Volume, VolumePage};
use crate::core::models::{Field, Obj, Str};
use crate::core::pagination::{Collection, Keyed, ListPage};
use crate::core::snapshots::CallOptions;

pub const DROPLETS_PATH: &str = "/v2/droplets";
pub const VOLUMES_PATH: &str = "/v2/volumes";
/// `type=`: "By default, only non-GPU Droplets are returned. To list only GPU Droplets, set the `type` query
/// parameter to `gpus`" (the SDK's docstring of `gpu_droplets.list`).
pub const DROPLET_TYPES: [&str; 2] = ["droplets", "gpus"];

/// Validated `gpu_droplets.list()` parameters; `None` means not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropletListParams {
    pub name: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub tag_name: Option<String>,
    /// `type` (`droplets` or `gpus`).
    pub kind: Option<String>,
}

pub fn validate_droplet_type(value: &str) -> Result<String> {
    if DROPLET_TYPES.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(Error::invalid(
            "type",
            format!("type must be one of 'droplets', 'gpus', got {value:?}"),
        ))
    }
}

impl DropletListParams {
    /// The API refuses `tag_name` with `name` or `type` ("Can not be combined with `name` or `type`", the SDK's
    /// docstring); so do we, before sending anything.
    pub fn validate(self) -> Result<Self> {
        if self.tag_name.is_some() {
            let with: Vec<&str> = [("name", self.name.is_some()), ("type", self.kind.is_some())]
                .into_iter()
                .filter_map(|(n, given)| given.then_some(n))
                .collect();
            if !with.is_empty() {
                return Err(Error::invalid(
                    "tag_name",
                    format!(
                        "tag_name can not be combined with {} (the API refuses it); pass one of them",
                        with.join(" or ")
                    ),
                ));
            }
        }
        if let Some(kind) = &self.kind {
            validate_droplet_type(kind)?;
        }
        Ok(self)
    }

    /// The query in the SDK's order (`name`, `page`, `per_page`, `tag_name`, `type`), `extra_query` merged over it.
    pub fn query(&self, extra: &[(String, String)]) -> Vec<(String, String)> {
        let pairs = [
            ("name", self.name.clone()),
            ("page", self.page.map(|p| p.to_string())),
            ("per_page", self.per_page.map(|p| p.to_string())),
            ("tag_name", self.tag_name.clone()),
            ("type", self.kind.clone()),
        ];
        merge(pairs, extra)
    }
}

/// Validated `gpu_droplets.volumes.list()` parameters; `None` means not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeListParams {
    pub name: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub region: Option<String>,
}

impl VolumeListParams {
    /// The query in the SDK's order (`name`, `page`, `per_page`, `region`), `extra_query` merged over it.
    pub fn query(&self, extra: &[(String, String)]) -> Vec<(String, String)> {
        let pairs = [
            ("name", self.name.clone()),
            ("page", self.page.map(|p| p.to_string())),
            ("per_page", self.per_page.map(|p| p.to_string())),
            ("region", self.region.clone()),
        ];
        merge(pairs, extra)
    }
}

/// The given pairs in order, then `extra` (replacing the keys it names).
fn merge<const N: usize>(pairs: [(&str, Option<String>); N], extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = pairs
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect();
    for (k, v) in extra {
        match q.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1.clone_from(v),
            None => q.push((k.clone(), v.clone())),
        }
    }
    q
}

fn get(path: &str, query: Vec<(String, String)>, opts: &CallOptions) -> Request {
    Request {
        method: Method::GET,
        path: path.to_owned(),
        query,
        headers: opts.extra_headers.clone(),
        timeout: opts.timeout,
    }
}

pub async fn list_droplets_raw(http: &HttpClient, params: &DropletListParams, opts: &CallOptions) -> Result<Response> {
    http.send(&get(DROPLETS_PATH, params.query(&opts.extra_query), opts))
        .await
}

pub async fn list_volumes_raw(http: &HttpClient, params: &VolumeListParams, opts: &CallOptions) -> Result<Response> {
    http.send(&get(VOLUMES_PATH, params.query(&opts.extra_query), opts))
        .await
}

pub fn parse_droplets(resp: &Response) -> Result<DropletPage> {
    decode_droplet_page(&resp.body).map_err(|e| resp.invalid(e.to_string()))
}

pub fn parse_volumes(resp: &Response) -> Result<VolumePage> {
    decode_volume_page(&resp.body).map_err(|e| resp.invalid(e.to_string()))
}

/// The canonical text of an id, for comparing ids across resources: a string trimmed and ASCII-lower-cased (UUIDs),
/// an integer as its decimal text (a droplet's `12345` equals a snapshot's `"12345"`). Anything else: `None`.
pub fn canonical_id(f: &Field<Str>) -> Option<Str> {
    f.text().and_then(|t| canonical_text(&t))
}

pub fn canonical_text(t: &str) -> Option<Str> {
    let t = t.trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(Str::from(t.to_ascii_lowercase()))
    } else {
        Some(Str::from(t))
    }
}

impl Keyed for Droplet {
    fn id_key(&self) -> Option<Str> {
        match &self.id {
            Field::Value(i) => Some(Str::from(i.to_string())),
            Field::Raw(v) => match v.as_ref() {
                serde_json::Value::String(s) => canonical_text(s),
                serde_json::Value::Number(n) => Some(Str::from(n.to_string())),
                _ => None,
            },
            _ => None,
        }
    }
}

impl Keyed for Volume {
    fn id_key(&self) -> Option<Str> {
        canonical_id(&self.id)
    }
}

impl ListPage for DropletPage {
    type Item = Droplet;
    fn total(&self) -> Option<i64> {
        DropletPage::total(self)
    }
    fn pages(&self) -> Option<&Pages> {
        DropletPage::pages(self)
    }
    fn into_items(self) -> Vec<Droplet> {
        match self.droplets {
            Obj::Value(v) => v,
            _ => Vec::new(),
        }
    }
}

impl ListPage for VolumePage {
    type Item = Volume;
    fn total(&self) -> Option<i64> {
        VolumePage::total(self)
    }
    fn pages(&self) -> Option<&Pages> {
        VolumePage::pages(self)
    }
    fn into_items(self) -> Vec<Volume> {
        match self.volumes {
            Obj::Value(v) => v,
            _ => Vec::new(),
        }
    }
}

/// `GET /v2/droplets` with the filters of `self` (its `page`/`per_page` are the engine's).
impl Collection for DropletListParams {
    type Item = Droplet;
    type Page = DropletPage;
    const PATH: &'static str = DROPLETS_PATH;
    const NOUN: &'static str = "droplets";
    fn page_query(&self, page: u64, per_page: u64, extra: &[(String, String)]) -> Vec<(String, String)> {
        DropletListParams {
            page: Some(page),
            per_page: Some(per_page),
            ..self.clone()
        }
        .query(extra)
    }
    fn parse(resp: &Response) -> Result<DropletPage> {
        parse_droplets(resp)
    }
}

/// `GET /v2/volumes` with the filters of `self`.
impl Collection for VolumeListParams {
    type Item = Volume;
    type Page = VolumePage;
    const PATH: &'static str = VOLUMES_PATH;
    const NOUN: &'static str = "volumes";
    fn page_query(&self, page: u64, per_page: u64, extra: &[(String, String)]) -> Vec<(String, String)> {
        VolumeListParams {
            page: Some(page),
            per_page: Some(per_page),
            ..self.clone()
        }
        .query(extra)
    }
    fn parse(resp: &Response) -> Result<VolumePage> {
        parse_volumes(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_name_with_name_or_type_is_refused_naming_them() {
        let p = |name: Option<&str>, tag: Option<&str>, kind: Option<&str>| DropletListParams {
            name: name.map(Into::into),
            tag_name: tag.map(Into::into),
            kind: kind.map(Into::into),
            ..Default::default()
        };
        assert!(p(Some("web"), None, Some("gpus")).validate().is_ok());
        assert!(p(None, Some("env:prod"), None).validate().is_ok());
        let e = p(Some("web"), Some("t"), None).validate().unwrap_err().to_string();
        assert_eq!(
            e,
            "tag_name can not be combined with name (the API refuses it); pass one of them"
        );
        let e = p(Some("web"), Some("t"), Some("gpus"))
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("with name or type"), "{e}");
        let e = p(None, None, Some("gpu")).validate().unwrap_err().to_string();
        assert_eq!(e, "type must be one of 'droplets', 'gpus', got \"gpu\"");
    }

    #[test]
    fn queries_in_the_sdk_order_and_extra_query_wins() {
        let p = DropletListParams {
            name: Some("a".into()),
            per_page: Some(5),
            kind: Some("gpus".into()),
            ..Default::default()
        };
        let q = p.page_query(3, 200, &[("per_page".into(), "7".into()), ("x".into(), "y".into())]);
        let keys: Vec<_> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(keys, ["name=a", "page=3", "per_page=7", "type=gpus", "x=y"]);
        let v = VolumeListParams {
            region: Some("nyc1".into()),
            ..Default::default()
        };
        assert_eq!(v.query(&[]), vec![("region".to_owned(), "nyc1".to_owned())]);
    }

    #[test]
    fn ids_compare_as_canonical_text() {
        assert_eq!(canonical_id(&Field::Value("12345".into())).as_deref(), Some("12345"));
        assert_eq!(
            canonical_id(&Field::Raw(Box::new(serde_json::json!(12345)))).as_deref(),
            Some("12345")
        );
        assert_eq!(canonical_id(&Field::Value(" ABC-d ".into())).as_deref(), Some("abc-d"));
        assert_eq!(canonical_id(&Field::Value("  ".into())), None);
        assert_eq!(canonical_id(&Field::Null), None);
        let d = Droplet {
            id: Field::Value(12345),
            ..Default::default()
        };
        assert_eq!(d.id_key().as_deref(), Some("12345"));
    }
}
