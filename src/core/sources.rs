//! Where each snapshot came from: the droplets (both the default listing and `type=gpus`) and volumes listed
//! alongside the snapshots, and each row's source state (`exists`, `gone`, `unknown`).
//!
//! The evidence rule: a row is `gone` only when every listing its `resource_type` depends on completed exactly
//! (no failure, and the account did not change under the listing). A failed or refused listing is an error that
//! names it and the scope it needs ([`Error::Source`]), never "no droplets". A row whose `resource_id` or
//! `resource_type` is missing or unknown is `unknown`. Ids are compared as canonical text
//! ([`crate::core::droplets::canonical_id`]), so a droplet's integer `12345` matches a snapshot's `"12345"`.
//!
//! `GET /v2/droplets` returns only non-GPU droplets unless `type=gpus` is sent (the SDK's docstring: "By default,
//! only non-GPU Droplets are returned"), so both listings are needed before a droplet snapshot can be called gone.

use std::collections::HashSet;
use std::sync::Arc;

use crate::core::cost::SummaryRow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::core::droplets::{canonical_id, DropletListParams, VolumeListParams, DROPLETS_PATH, VOLUMES_PATH};
use crate::core::error::{Error, Result};
use crate::core::http::{HttpClient, Response};
use crate::core::models::{repaired, Field, Links, Meta, Obj, Pages, Snapshot, Str};
use crate::core::pagination::{self, Collection, Keyed, ListAllOptions, ListPage, Listing};
use crate::core::snapshots::{self, CallOptions, ListParams};

/// What asking for source states of a listing made without them says.
pub const NO_SOURCES: &str =
    "this list has no source states: list it with snapshots.list_all(with_sources=True) (or snapshots.orphans())";

/// Whether a snapshot's source (its droplet or volume) still exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceState {
    Exists = 0,
    Gone = 1,
    /// No verdict: the row has no usable `resource_id`/`resource_type`, or a listing it depends on was not exact.
    Unknown = 2,
}

impl SourceState {
    pub const ALL: [SourceState; 3] = [SourceState::Exists, SourceState::Gone, SourceState::Unknown];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Exists => "exists",
            SourceState::Gone => "gone",
            SourceState::Unknown => "unknown",
        }
    }

    /// The Arrow `source_exists` value: `true`, `false`, or null (unknown).
    pub fn exists(self) -> Option<bool> {
        match self {
            SourceState::Exists => Some(true),
            SourceState::Gone => Some(false),
            SourceState::Unknown => None,
        }
    }
}

/// One source listing: its name in messages, the request, and the token scope it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceListing {
    pub name: &'static str,
    pub request: &'static str,
    pub scope: &'static str,
}

pub const DROPLETS: SourceListing = SourceListing {
    name: "droplets",
    request: "GET /v2/droplets",
    scope: "droplet:read",
};
pub const GPU_DROPLETS: SourceListing = SourceListing {
    name: "GPU droplets",
    request: "GET /v2/droplets?type=gpus",
    scope: "droplet:read",
};
pub const VOLUMES: SourceListing = SourceListing {
    name: "volumes",
    request: "GET /v2/volumes",
    scope: "block_storage:read",
};

/// The ids the source listings found; `None`: that kind was not listed, or not exactly.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources {
    pub droplets: Option<HashSet<Str>>,
    pub volumes: Option<HashSet<Str>>,
    /// The listings that finished but not exactly (the account changed during every attempt): their rows are
    /// `unknown`.
    pub inexact: Vec<SourceListing>,
}

/// Which source listings a snapshot listing with this `resource_type` filter needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub droplets: bool,
    pub volumes: bool,
}

impl Needs {
    pub fn for_resource_type(resource_type: Option<&str>) -> Self {
        match resource_type {
            Some("droplet") => Needs {
                droplets: true,
                volumes: false,
            },
            Some("volume") => Needs {
                droplets: false,
                volumes: true,
            },
            _ => Needs {
                droplets: true,
                volumes: true,
            },
        }
    }
}

fn ids<T: Keyed>(items: &[T]) -> HashSet<Str> {
    items.iter().filter_map(Keyed::id_key).collect()
}

// ----------------------------------------------------------------------------------- the source listings' pages

/// Only the id of a droplet or volume, as canonical text: the source listings need nothing else, so every other
/// key is skipped unparsed (`IgnoredAny`), which makes a 2,000-droplet listing a fraction of the full models' cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceId(pub Option<Str>);

impl Keyed for SourceId {
    fn id_key(&self) -> Option<Str> {
        self.0.clone()
    }
}

impl<'de> Deserialize<'de> for SourceId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SourceId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a droplet or volume object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<SourceId, A::Error> {
                let mut id = None;
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    if key.0 == "id" {
                        let f: Field<Str> = map.next_value()?;
                        id = canonical_id(&f);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(SourceId(id))
            }
        }
        d.deserialize_map(V)
    }
}

/// A page of a source listing: its ids, `meta.total` and `links.pages` (the rest skipped).
#[derive(Debug, Clone, Default)]
pub struct IdsPage {
    items: Vec<SourceId>,
    meta: Obj<Meta>,
    links: Obj<Links>,
}

/// [`IdsPage`]'s decoder for the list under `key` (`droplets`, `volumes`); a list element that isn't an object
/// is an error naming it, as for the full models.
struct IdsPageOf(&'static str);

impl<'de> DeserializeSeed<'de> for IdsPageOf {
    type Value = IdsPage;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<IdsPage, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for IdsPageOf {
    type Value = IdsPage;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("response object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<IdsPage, A::Error> {
        let mut out = IdsPage::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0.as_ref() {
                k if k == self.0 => {
                    out.items = map
                        .next_value::<Option<Vec<ObjectId>>>()?
                        .unwrap_or_default()
                        .into_iter()
                        .map(|o| o.0)
                        .collect();
                }
                "meta" => out.meta = map.next_value()?,
                "links" => out.links = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// One list element: an object's id; anything but an object is an error.
struct ObjectId(SourceId);

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ObjectId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<ObjectId, A::Error> {
                SourceId::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(ObjectId)
            }
        }
        d.deserialize_any(V)
    }
}

impl ListPage for IdsPage {
    type Item = SourceId;
    fn total(&self) -> Option<i64> {
        self.meta.value().and_then(|m| m.total.value().copied())
    }
    fn pages(&self) -> Option<&Pages> {
        self.links.value().and_then(|l| l.pages.value())
    }
    fn into_items(self) -> Vec<SourceId> {
        self.items
    }
}

/// The ids page under `key` of a whole body (trailing data is an error, as for the full models). A body serde_json
/// refuses is read again with the text leniency of snapshot pages ([`repaired`]: a BOM, UTF-16/32, lone
/// surrogates); if that fails too, the first error is the one returned.
fn decode_ids(body: &[u8], key: &'static str) -> std::result::Result<IdsPage, serde_json::Error> {
    decode_ids_exact(body, key).or_else(|e| match repaired(body) {
        Some(text) => decode_ids_exact(text.as_bytes(), key).map_err(|_| e),
        None => Err(e),
    })
}

fn decode_ids_exact(body: &[u8], key: &'static str) -> std::result::Result<IdsPage, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let page = IdsPageOf(key).deserialize(&mut de)?;
    de.end()?;
    Ok(page)
}

fn parse_ids(resp: &Response, key: &'static str) -> Result<IdsPage> {
    decode_ids(&resp.body, key).map_err(|e| resp.invalid(e.to_string()))
}

/// A map key, borrowed from the body when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct KV;
        impl<'de> Visitor<'de> for KV {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(v.into()))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(v.to_owned().into()))
            }
        }
        d.deserialize_str(KV)
    }
}

/// `GET /v2/droplets` (with `type=gpus` or without), ids only.
#[derive(Debug, Clone, Copy)]
pub struct DropletIds {
    pub gpus: bool,
}

impl Collection for DropletIds {
    type Item = SourceId;
    type Page = IdsPage;
    const PATH: &'static str = DROPLETS_PATH;
    const NOUN: &'static str = "droplets";
    fn page_query(&self, page: u64, per_page: u64, extra: &[(String, String)]) -> Vec<(String, String)> {
        DropletListParams {
            page: Some(page),
            per_page: Some(per_page),
            kind: self.gpus.then(|| "gpus".to_owned()),
            ..DropletListParams::default()
        }
        .query(extra)
    }
    fn parse(resp: &Response) -> Result<IdsPage> {
        parse_ids(resp, "droplets")
    }
}

/// `GET /v2/volumes`, ids only.
#[derive(Debug, Clone, Copy)]
pub struct VolumeIds;

impl Collection for VolumeIds {
    type Item = SourceId;
    type Page = IdsPage;
    const PATH: &'static str = VOLUMES_PATH;
    const NOUN: &'static str = "volumes";
    fn page_query(&self, page: u64, per_page: u64, extra: &[(String, String)]) -> Vec<(String, String)> {
        VolumeListParams {
            page: Some(page),
            per_page: Some(per_page),
            ..VolumeListParams::default()
        }
        .query(extra)
    }
    fn parse(resp: &Response) -> Result<IdsPage> {
        parse_ids(resp, "volumes")
    }
}

impl Sources {
    /// From finished listings: `droplets` is `(default listing, type=gpus listing)`; a listing that changed under
    /// us makes its kind unknown.
    pub fn from_listings<D: Keyed, V: Keyed>(
        droplets: Option<(&Listing<D>, &Listing<D>)>,
        volumes: Option<&Listing<V>>,
    ) -> Self {
        let mut inexact = Vec::new();
        let droplets = droplets.and_then(|(plain, gpus)| {
            let mut exact = true;
            for (l, which) in [(plain, DROPLETS), (gpus, GPU_DROPLETS)] {
                if l.changed.is_some() {
                    inexact.push(which);
                    exact = false;
                }
            }
            exact.then(|| {
                let mut set = ids(&plain.items);
                set.extend(ids(&gpus.items));
                set
            })
        });
        let volumes = volumes.and_then(|l| {
            if l.changed.is_some() {
                inexact.push(VOLUMES);
                None
            } else {
                Some(ids(&l.items))
            }
        });
        Sources {
            droplets,
            volumes,
            inexact,
        }
    }

    /// The state of one snapshot's source.
    pub fn state(&self, row: &Snapshot) -> SourceState {
        let Some(id) = canonical_id(&row.resource_id) else {
            return SourceState::Unknown;
        };
        let set = match row.resource_type.value().map(Str::as_str) {
            Some("droplet") => self.droplets.as_ref(),
            Some("volume") => self.volumes.as_ref(),
            _ => None,
        };
        match set {
            Some(set) if set.contains(&id) => SourceState::Exists,
            Some(_) => SourceState::Gone,
            None => SourceState::Unknown,
        }
    }
}

/// The state of every row (parallel to `rows`).
pub fn states(rows: &[Snapshot], sources: &Sources) -> Vec<SourceState> {
    rows.iter().map(|r| sources.state(r)).collect()
}

/// The rows of `idx` that are orphaned (`want = true`: source `gone`) or not (`false`: `exists` or `unknown`).
pub fn orphaned_in(states: &[SourceState], idx: &[usize], want: bool) -> Vec<usize> {
    idx.iter()
        .copied()
        .filter(|&i| (states[i] == SourceState::Gone) == want)
        .collect()
}

/// The rows of `idx` whose state is `want`, in order.
pub fn with_state(states: &[SourceState], idx: &[usize], want: SourceState) -> Vec<usize> {
    idx.iter().copied().filter(|&i| states[i] == want).collect()
}

/// Count, GB and USD/month of the rows `idx` per source state (`states` parallel to `rows`): always an `exists` and
/// a `gone` row, then `unknown` when any row is. This order, not by cost: the point is the `gone` line.
pub fn summary_by_source(rows: &[Snapshot], idx: &[usize], states: &[SourceState], rate: f64) -> Vec<SummaryRow> {
    let mut acc = [(0u64, 0.0f64); 3];
    for &i in idx {
        let (Some(row), Some(state)) = (rows.get(i), states.get(i)) else {
            continue;
        };
        let slot = &mut acc[*state as usize];
        slot.0 += 1;
        slot.1 += row.size_gigabytes.value().copied().unwrap_or(0.0);
    }
    SourceState::ALL
        .iter()
        .zip(acc)
        .filter(|(state, (count, _))| **state != SourceState::Unknown || *count > 0)
        .map(|(state, (count, size))| SummaryRow {
            group: state.as_str().to_owned(),
            count,
            size_gigabytes: size,
            monthly_cost_usd: size * rate,
        })
        .collect()
}

/// A snapshot listing with the states of its rows' sources.
#[derive(Debug, Clone)]
pub struct SourcedListing {
    pub listing: Listing,
    pub sources: Sources,
    pub states: Vec<SourceState>,
}

fn source_err(which: SourceListing) -> impl Fn(Error) -> Error {
    move |e| Error::Source {
        listing: which.name,
        request: which.request,
        scope: which.scope,
        source: Box::new(e),
    }
}

/// The options of a source listing: the snapshot listing's limits, retries and deadline, its headers and timeout,
/// but neither its `extra_query` (meant for `/v2/snapshots`) nor its progress bar.
fn source_options(opts: &ListAllOptions) -> ListAllOptions {
    ListAllOptions {
        resource_type: None,
        progress: None,
        call: CallOptions {
            extra_query: Vec::new(),
            ..opts.call.clone()
        },
        ..opts.clone()
    }
}

/// Lists the snapshots and, concurrently on the same runtime, the source listings `opts.resource_type` needs
/// (droplets both ways, volumes): the wall time is the slowest listing's, not the sum. The first failure drops the
/// other listings and is returned (a source listing's error names it and its scope). `opts.deadline` bounds the
/// whole (all the listings together, the progress callback included), as [`pagination::bounded`] says.
pub async fn list_with_sources(http: &Arc<HttpClient>, opts: &ListAllOptions) -> Result<SourcedListing> {
    let (task_http, task_opts) = (Arc::clone(http), opts.clone());
    pagination::bounded(opts.deadline, || http.config().endpoint(snapshots::PATH), async move {
        listed_with_sources(&task_http, &task_opts).await
    })
    .await
}

async fn listed_with_sources(http: &HttpClient, opts: &ListAllOptions) -> Result<SourcedListing> {
    let needs = Needs::for_resource_type(opts.resource_type.as_deref());
    let src = source_options(opts);
    let plain = DropletIds { gpus: false };
    let gpus = DropletIds { gpus: true };
    let volumes = VolumeIds;
    let listed = ListParams {
        resource_type: opts.resource_type.clone(),
        ..Default::default()
    };
    let droplets = async {
        if !needs.droplets {
            return Ok(None);
        }
        let (a, b) = futures::try_join!(
            async {
                pagination::list_all_unbounded(http, &plain, &src)
                    .await
                    .map_err(source_err(DROPLETS))
            },
            async {
                pagination::list_all_unbounded(http, &gpus, &src)
                    .await
                    .map_err(source_err(GPU_DROPLETS))
            },
        )?;
        Ok(Some((a, b)))
    };
    let vols = async {
        if !needs.volumes {
            return Ok(None);
        }
        pagination::list_all_unbounded(http, &volumes, &src)
            .await
            .map(Some)
            .map_err(source_err(VOLUMES))
    };
    let (listing, droplets, vols) =
        futures::try_join!(pagination::list_all_unbounded(http, &listed, opts), droplets, vols)?;
    let sources = Sources::from_listings(droplets.as_ref().map(|(a, b)| (a, b)), vols.as_ref());
    let states = states(&listing.items, &sources);
    Ok(SourcedListing {
        listing,
        sources,
        states,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::models::{decode_page, Droplet, Volume};
    use crate::core::pagination::Change;

    fn listing<T>(items: Vec<T>) -> Listing<T> {
        Listing {
            total: items.len() as u64,
            pages: 1,
            items,
            changed: None,
        }
    }

    fn droplet(id: serde_json::Value) -> Droplet {
        serde_json::from_value(serde_json::json!({ "id": id })).unwrap()
    }

    fn volume(id: &str) -> Volume {
        serde_json::from_value(serde_json::json!({ "id": id })).unwrap()
    }

    fn rows() -> Vec<Snapshot> {
        decode_page(
            br#"{"snapshots":[
            {"id":"1","resource_id":"100","resource_type":"droplet"},
            {"id":"2","resource_id":"200","resource_type":"droplet"},
            {"id":"3","resource_id":"999","resource_type":"droplet"},
            {"id":"4","resource_id":"AAAA-1","resource_type":"volume"},
            {"id":"5","resource_id":"bbbb-2","resource_type":"volume"},
            {"id":"6","resource_type":"droplet"},
            {"id":"7","resource_id":"100"},
            {"id":"8","resource_id":"100","resource_type":"image"},
            {"id":"9","resource_id":300,"resource_type":"droplet"},
            {"id":"10","resource_id":"","resource_type":"droplet"}]}"#,
        )
        .unwrap()
        .snapshots
        .value()
        .cloned()
        .unwrap()
    }

    #[test]
    fn gpu_droplets_count_as_sources_and_ids_match_across_types() {
        let plain = listing(vec![droplet(serde_json::json!(100)), droplet(serde_json::json!("300"))]);
        let gpus = listing(vec![droplet(serde_json::json!(200))]);
        let vols = listing(vec![volume("aaaa-1")]);
        let s = Sources::from_listings(Some((&plain, &gpus)), Some(&vols));
        use SourceState::*;
        assert_eq!(
            states(&rows(), &s),
            vec![Exists, Exists, Gone, Exists, Gone, Unknown, Unknown, Unknown, Exists, Unknown]
        );
    }

    #[test]
    fn without_the_gpu_listing_a_gpu_droplet_would_look_gone() {
        // The naive check: only the default listing. Row 2's droplet is a GPU droplet.
        let plain = listing(vec![droplet(serde_json::json!(100))]);
        let naive = Sources::from_listings::<_, Volume>(Some((&plain, &listing(Vec::new()))), None);
        assert_eq!(naive.state(&rows()[1]), SourceState::Gone);
        let gpus = listing(vec![droplet(serde_json::json!(200))]);
        let right = Sources::from_listings::<_, Volume>(Some((&plain, &gpus)), None);
        assert_eq!(right.state(&rows()[1]), SourceState::Exists);
    }

    #[test]
    fn a_kind_not_listed_or_not_exact_is_unknown() {
        let s = Sources::from_listings::<Droplet, _>(None, Some(&listing(vec![volume("aaaa-1")])));
        assert!(states(&rows(), &s)[..3].iter().all(|st| *st == SourceState::Unknown));
        assert_eq!(s.state(&rows()[4]), SourceState::Gone);
        let mut changed = listing(vec![droplet(serde_json::json!(100))]);
        changed.changed = Some(Change {
            first_total: 1,
            last_total: 2,
            returned: 1,
            attempts: 3,
        });
        let s = Sources::from_listings::<_, Volume>(Some((&listing(Vec::new()), &changed)), None);
        assert_eq!(s.inexact, vec![GPU_DROPLETS]);
        assert!(s.droplets.is_none());
        assert_eq!(s.state(&rows()[2]), SourceState::Unknown);
    }

    #[test]
    fn summary_has_exists_and_gone_rows_and_unknown_when_any() {
        let rows =
            decode_page(br#"{"snapshots":[{"size_gigabytes":2.0},{"size_gigabytes":3.5},{"size_gigabytes":1.0},{}]}"#)
                .unwrap()
                .snapshots
                .value()
                .cloned()
                .unwrap();
        use SourceState::*;
        let st = [Gone, Exists, Gone, Gone];
        let out = summary_by_source(&rows, &[0, 1, 2, 3], &st, 0.06);
        let groups: Vec<_> = out
            .iter()
            .map(|r| (r.group.as_str(), r.count, r.size_gigabytes))
            .collect();
        assert_eq!(groups, vec![("exists", 1, 3.5), ("gone", 3, 3.0)]);
        assert!((out[1].monthly_cost_usd - 0.18).abs() < 1e-12);
        let out = summary_by_source(&rows, &[3], &[Gone, Gone, Gone, Unknown], 0.06);
        assert_eq!(out.iter().map(|r| r.count).collect::<Vec<_>>(), vec![0, 0, 1]);
        assert_eq!(SourceState::parse("gone"), Some(Gone));
        assert_eq!(SourceState::parse("x"), None);
    }

    #[test]
    fn id_pages_keep_only_ids_and_paging() {
        let page = decode_ids(
            br#"{"droplets":[{"id":12,"networks":{"v4":[]}},{"name":"x"},{"id":"AB"}],"links":{"pages":{"last":"https://h/v2/droplets?page=4"}},"meta":{"total":700},"extra":1}"#,
            "droplets",
        )
        .unwrap();
        assert_eq!(page.total(), Some(700));
        assert!(page.pages().is_some());
        let ids: Vec<_> = page.into_items().into_iter().map(|s| s.0).collect();
        assert_eq!(ids, vec![Some("12".into()), None, Some("ab".into())]);
        let err = decode_ids(br#"{"volumes":[{"id":"v"},3]}"#, "volumes")
            .unwrap_err()
            .to_string();
        assert!(err.contains("an object"), "{err}");
        assert!(decode_ids(br#"{"volumes":null}"#, "volumes")
            .unwrap()
            .into_items()
            .is_empty());
        assert!(decode_ids(br#"{"volumes":[]} x"#, "volumes").is_err());
        // The text leniency of snapshot pages: a BOM, UTF-16, a lone surrogate in a key skipped or not.
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(br#"{"volumes":[{"id":"V-1","name":"\ud800"}]}"#);
        let utf16: Vec<u8> = r#"{"volumes":[{"id":"v-2"}]}"#.encode_utf16().flat_map(u16::to_le_bytes).collect();
        for (body, want) in [(bom, "v-1"), (utf16, "v-2")] {
            let items = decode_ids(&body, "volumes").unwrap().into_items();
            assert_eq!(items, vec![SourceId(Some(want.into()))]);
        }
        assert!(decode_ids(b"\xEF\xBB\xBFnot json", "volumes").is_err());
        assert!(decode_ids(br#"{"volumes":{}}"#, "volumes").is_err());
    }

    #[test]
    fn needs_follow_the_resource_type_filter() {
        assert_eq!(
            Needs::for_resource_type(Some("droplet")),
            Needs {
                droplets: true,
                volumes: false
            }
        );
        assert!(Needs::for_resource_type(None).volumes);
        assert!(!Needs::for_resource_type(Some("volume")).droplets);
        let st = [SourceState::Gone, SourceState::Exists, SourceState::Gone];
        assert_eq!(with_state(&st, &[2, 1, 0], SourceState::Gone), vec![2, 0]);
        assert_eq!(orphaned_in(&st, &[2, 1, 0], true), vec![2, 0]);
        assert_eq!(orphaned_in(&st, &[2, 1, 0], false), vec![1]);
        assert_eq!(SourceState::Unknown.exists(), None);
        let d: Droplet = droplet(serde_json::json!(true));
        assert!(d.id_key().is_none());
        assert_eq!(d.id, Field::Raw(Box::new(serde_json::json!(true))));
    }
}
