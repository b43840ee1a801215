//! Snapshots as Arrow record batches, built straight from the parsed Rust data (no Python object per row).

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{ArrowError, DataType, Field as ArrowField, Schema, SchemaRef, TimeUnit};

use crate::core::cost::SummaryRow;
use crate::core::datetime::MICROS_PER_DAY;
use crate::core::models::{Field, Snapshot, Str};
use crate::core::sources::SourceState;

/// Rows per record batch.
pub const BATCH_ROWS: usize = 65_536;

pub fn schema() -> SchemaRef {
    let list = || DataType::List(Arc::new(ArrowField::new("item", DataType::Utf8, true)));
    Arc::new(Schema::new(vec![
        ArrowField::new("id", DataType::Utf8, true),
        ArrowField::new("name", DataType::Utf8, true),
        ArrowField::new(
            "created_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        ArrowField::new("regions", list(), true),
        ArrowField::new("resource_id", DataType::Utf8, true),
        ArrowField::new("resource_type", DataType::Utf8, true),
        ArrowField::new("min_disk_size", DataType::Int64, true),
        ArrowField::new("size_gigabytes", DataType::Float64, true),
        ArrowField::new("tags", list(), true),
    ]))
}

fn append_list(b: &mut ListBuilder<StringBuilder>, f: &Field<Vec<Str>>) {
    match f {
        Field::Value(items) => {
            for s in items {
                b.values().append_value(s);
            }
            b.append(true);
        }
        _ => b.append(false),
    }
}

pub fn record_batch(rows: &[Snapshot]) -> Result<RecordBatch, ArrowError> {
    build(rows.iter().enumerate(), rows.len(), &ExtraColumns::default())
}

/// All rows, in batches of at most [`BATCH_ROWS`]; one empty batch for no rows (keeps the schema visible).
pub fn record_batches(rows: &[Snapshot]) -> Result<Vec<RecordBatch>, ArrowError> {
    if rows.is_empty() {
        return Ok(vec![record_batch(rows)?]);
    }
    rows.chunks(BATCH_ROWS).map(record_batch).collect()
}

/// Opt-in columns after the nine of [`schema`], in this order when asked for:
///
/// - `account` (utf8, not null): `account[i]` is the account of row `i` (a slice parallel to `rows`), for lists
///   that merge several accounts;
/// - `age_days` (float64, null when `created_at` is missing or unparseable): days from `created_at` to
///   `age_days_now` (unix micros), see [`crate::core::cost::age_days`];
/// - `monthly_cost_usd` (float64, null without a size): `size_gigabytes × rate`;
/// - `source_exists` (bool, null when unknown): whether the snapshot's droplet or volume exists, from a listing
///   made with `with_sources=True` (`source[i]` is the state of row `i`, a slice parallel to `rows`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtraColumns<'a> {
    pub account: Option<&'a [Str]>,
    pub age_days_now: Option<i64>,
    pub rate: Option<f64>,
    pub source: Option<&'a [SourceState]>,
}

/// [`schema`] plus the asked-for extra columns.
pub fn schema_with(extras: &ExtraColumns<'_>) -> SchemaRef {
    let base = schema();
    if extras.account.is_none() && extras.age_days_now.is_none() && extras.rate.is_none() && extras.source.is_none() {
        return base;
    }
    let mut fields: Vec<ArrowField> = base.fields().iter().map(|f| f.as_ref().clone()).collect();
    if extras.account.is_some() {
        fields.push(ArrowField::new("account", DataType::Utf8, false));
    }
    if extras.age_days_now.is_some() {
        fields.push(ArrowField::new("age_days", DataType::Float64, true));
    }
    if extras.rate.is_some() {
        fields.push(ArrowField::new("monthly_cost_usd", DataType::Float64, true));
    }
    if extras.source.is_some() {
        fields.push(ArrowField::new("source_exists", DataType::Boolean, true));
    }
    Arc::new(Schema::new(fields))
}

/// The rows `idx` (all rows when `None`, in order) with the extra columns of `extras`. An index out of range,
/// or an `account` slice whose length isn't `rows.len()`, is an `InvalidArgumentError`.
pub fn record_batch_with(
    rows: &[Snapshot],
    idx: Option<&[usize]>,
    extras: &ExtraColumns<'_>,
) -> Result<RecordBatch, ArrowError> {
    if let Some(src) = extras.source {
        if src.len() != rows.len() {
            return Err(ArrowError::InvalidArgumentError(format!(
                "source has {} entries for {} rows",
                src.len(),
                rows.len()
            )));
        }
    }
    if let Some(acc) = extras.account {
        if acc.len() != rows.len() {
            return Err(ArrowError::InvalidArgumentError(format!(
                "account has {} entries for {} rows",
                acc.len(),
                rows.len()
            )));
        }
    }
    match idx {
        None => build(rows.iter().enumerate(), rows.len(), extras),
        Some(idx) => {
            if let Some(&bad) = idx.iter().find(|&&i| i >= rows.len()) {
                return Err(ArrowError::InvalidArgumentError(format!(
                    "row index {bad} out of range for {} rows",
                    rows.len()
                )));
            }
            build(idx.iter().map(|&i| (i, &rows[i])), idx.len(), extras)
        }
    }
}

/// [`record_batch_with`] in batches of at most [`BATCH_ROWS`]; one empty batch for no rows.
pub fn record_batches_with(
    rows: &[Snapshot],
    idx: Option<&[usize]>,
    extras: &ExtraColumns<'_>,
) -> Result<Vec<RecordBatch>, ArrowError> {
    let all: Vec<usize>;
    let idx = match idx {
        Some(idx) => idx,
        None => {
            all = (0..rows.len()).collect();
            &all
        }
    };
    if idx.is_empty() {
        return Ok(vec![record_batch_with(rows, Some(idx), extras)?]);
    }
    idx.chunks(BATCH_ROWS)
        .map(|chunk| record_batch_with(rows, Some(chunk), extras))
        .collect()
}

fn build<'r>(
    rows: impl Iterator<Item = (usize, &'r Snapshot)>,
    n: usize,
    extras: &ExtraColumns<'_>,
) -> Result<RecordBatch, ArrowError> {
    let mut id = StringBuilder::with_capacity(n, n * 16);
    let mut name = StringBuilder::with_capacity(n, n * 24);
    let mut created = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut regions = ListBuilder::new(StringBuilder::new());
    let mut resource_id = StringBuilder::with_capacity(n, n * 16);
    let mut resource_type = StringBuilder::with_capacity(n, n * 7);
    let mut min_disk = Int64Builder::with_capacity(n);
    let mut size = Float64Builder::with_capacity(n);
    let mut tags = ListBuilder::new(StringBuilder::new());
    let mut account = extras.account.map(|_| StringBuilder::with_capacity(n, n * 8));
    let mut age = extras.age_days_now.map(|_| Float64Builder::with_capacity(n));
    let mut cost = extras.rate.map(|_| Float64Builder::with_capacity(n));
    let mut source = extras.source.map(|_| BooleanBuilder::with_capacity(n));
    for (i, s) in rows {
        let parsed = s.created_at.parsed().map(|t| t.unix_micros());
        id.append_option(s.id.text());
        name.append_option(s.name.value().map(Str::as_str));
        created.append_option(parsed);
        append_list(&mut regions, &s.regions);
        resource_id.append_option(s.resource_id.text());
        resource_type.append_option(s.resource_type.value().map(Str::as_str));
        min_disk.append_option(s.min_disk_size.value().copied());
        size.append_option(s.size_gigabytes.value().copied());
        append_list(&mut tags, &s.tags);
        if let (Some(b), Some(acc)) = (account.as_mut(), extras.account) {
            b.append_value(&acc[i]);
        }
        if let (Some(b), Some(now)) = (age.as_mut(), extras.age_days_now) {
            b.append_option(parsed.map(|t| (now - t) as f64 / MICROS_PER_DAY as f64));
        }
        if let (Some(b), Some(rate)) = (cost.as_mut(), extras.rate) {
            b.append_option(s.size_gigabytes.value().map(|v| v * rate));
        }
        if let (Some(b), Some(src)) = (source.as_mut(), extras.source) {
            b.append_option(src[i].exists());
        }
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(name.finish()),
        Arc::new(created.finish()),
        Arc::new(regions.finish()),
        Arc::new(resource_id.finish()),
        Arc::new(resource_type.finish()),
        Arc::new(min_disk.finish()),
        Arc::new(size.finish()),
        Arc::new(tags.finish()),
    ];
    if let Some(mut b) = account {
        columns.push(Arc::new(b.finish()));
    }
    if let Some(mut b) = age {
        columns.push(Arc::new(b.finish()));
    }
    if let Some(mut b) = cost {
        columns.push(Arc::new(b.finish()));
    }
    if let Some(mut b) = source {
        columns.push(Arc::new(b.finish()));
    }
    RecordBatch::try_new(schema_with(extras), columns)
}

/// [`schema_with`] plus a retention plan's `action` (utf8, not null: `keep`/`delete`) and `reasons`
/// (list<utf8>, not null) columns.
pub fn plan_schema_with(extras: &ExtraColumns<'_>) -> SchemaRef {
    let mut fields: Vec<ArrowField> = schema_with(extras)
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(ArrowField::new("action", DataType::Utf8, false));
    fields.push(ArrowField::new(
        "reasons",
        DataType::List(Arc::new(ArrowField::new("item", DataType::Utf8, true))),
        false,
    ));
    Arc::new(Schema::new(fields))
}

/// Every planned row, the kept (`keep`, with `reasons[i]` for `keep[i]`) then the deleted, with the plan's
/// `action` and `reasons` columns after the others; in batches of at most [`BATCH_ROWS`].
pub fn plan_record_batches(
    rows: &[Snapshot],
    keep: &[usize],
    delete: &[usize],
    reasons: &[Vec<&str>],
    extras: &ExtraColumns<'_>,
) -> Result<Vec<RecordBatch>, ArrowError> {
    if reasons.len() != keep.len() {
        return Err(ArrowError::InvalidArgumentError(format!(
            "{} reasons for {} kept rows",
            reasons.len(),
            keep.len()
        )));
    }
    let idx: Vec<usize> = keep.iter().chain(delete).copied().collect();
    let schema = plan_schema_with(extras);
    let mut out = Vec::new();
    let mut offset = 0;
    for batch in record_batches_with(rows, Some(&idx), extras)? {
        let n = batch.num_rows();
        let mut action = StringBuilder::with_capacity(n, n * 6);
        let mut why =
            ListBuilder::new(StringBuilder::new()).with_field(Arc::new(ArrowField::new("item", DataType::Utf8, true)));
        for pos in offset..offset + n {
            match reasons.get(pos) {
                Some(r) => {
                    action.append_value("keep");
                    for reason in r {
                        why.values().append_value(reason);
                    }
                }
                None => action.append_value("delete"),
            }
            why.append(true);
        }
        offset += n;
        let mut columns = batch.columns().to_vec();
        columns.push(Arc::new(action.finish()));
        columns.push(Arc::new(why.finish()));
        out.push(RecordBatch::try_new(Arc::clone(&schema), columns)?);
    }
    Ok(out)
}

/// The columns of a summary: `group` (utf8), `count` (uint64), `size_gigabytes`, `monthly_cost_usd` (float64).
pub fn summary_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        ArrowField::new("group", DataType::Utf8, false),
        ArrowField::new("count", DataType::UInt64, false),
        ArrowField::new("size_gigabytes", DataType::Float64, false),
        ArrowField::new("monthly_cost_usd", DataType::Float64, false),
    ]))
}

pub fn summary_record_batch(rows: &[SummaryRow]) -> Result<RecordBatch, ArrowError> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.group.as_str()))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.count))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.size_gigabytes))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.monthly_cost_usd))),
    ];
    RecordBatch::try_new(summary_schema(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::models::decode_page;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
    use arrow_array::Array;

    /// The columns are the snapshot's declared fields, in their order: a new field fails here until it has its
    /// column (or is deliberately left out of the table, here).
    #[test]
    fn schema_is_the_declared_fields() {
        use crate::core::models::Fields;
        let schema = schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, Snapshot::FIELDS);
    }

    #[test]
    fn columns_match_the_objects() {
        let page = decode_page(
            r#"{"snapshots":[
            {"id":"1","name":"données","created_at":"2020-07-28T16:47:44Z","regions":["nyc3","sfo3"],"resource_id":"9",
             "resource_type":"droplet","min_disk_size":25,"size_gigabytes":2,"tags":null},
            {"id":2,"created_at":"junk","regions":[],"tags":[]}]}"#
                .as_bytes(),
        )
        .unwrap();
        let batch = record_batch(page.snapshots()).unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema(), schema());
        let id = batch.column(0).as_string::<i32>();
        assert_eq!((id.value(0), id.value(1)), ("1", "2"));
        assert_eq!(batch.column(1).as_string::<i32>().value(0), "données");
        assert!(batch.column(1).is_null(1));
        let ts = batch.column(2).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(ts.value(0), 1_595_954_864_000_000);
        assert!(ts.is_null(1));
        let regions = batch.column(3).as_list::<i32>();
        assert_eq!(regions.value(0).len(), 2);
        assert_eq!(regions.value(1).len(), 0);
        assert_eq!(batch.column(6).as_primitive::<Int64Type>().value(0), 25);
        assert_eq!(batch.column(7).as_primitive::<Float64Type>().value(0), 2.0);
        let tags = batch.column(8).as_list::<i32>();
        assert!(tags.is_null(0));
        assert!(!tags.is_null(1) && tags.value(1).is_empty());
        assert_eq!(record_batches(&[]).unwrap()[0].num_rows(), 0);
    }

    #[test]
    fn extra_columns_and_indices() {
        let page = decode_page(
            br#"{"snapshots":[
            {"id":"1","created_at":"2020-01-01T00:00:00Z","size_gigabytes":10},
            {"id":"2","created_at":"junk"},
            {"id":"3","created_at":"2020-01-03T00:00:00Z","size_gigabytes":1.5}]}"#,
        )
        .unwrap();
        let rows = page.snapshots();
        // No extras: exactly the plain export.
        let plain = record_batch_with(rows, None, &ExtraColumns::default()).unwrap();
        assert_eq!(plain, record_batch(rows).unwrap());
        let accounts: Vec<Str> = vec!["a".into(), "b".into(), "c".into()];
        let now = crate::core::datetime::UtcDateTime::parse("2020-01-11T00:00:00Z")
            .unwrap()
            .unix_micros();
        let extras = ExtraColumns {
            account: Some(&accounts),
            age_days_now: Some(now),
            rate: Some(0.06),
            source: None,
        };
        let batch = record_batch_with(rows, Some(&[2, 1]), &extras).unwrap();
        let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(&names[9..], ["account", "age_days", "monthly_cost_usd"]);
        assert_eq!(batch.column(0).as_string::<i32>().value(0), "3");
        let acc = batch.column(9).as_string::<i32>();
        assert_eq!((acc.value(0), acc.value(1)), ("c", "b"));
        let age = batch.column(10).as_primitive::<Float64Type>();
        assert_eq!(age.value(0), 8.0);
        assert!(age.is_null(1));
        let cost = batch.column(11).as_primitive::<Float64Type>();
        assert!((cost.value(0) - 0.09).abs() < 1e-12);
        assert!(cost.is_null(1));
        // Only one extra.
        let only_cost = ExtraColumns {
            rate: Some(1.0),
            ..ExtraColumns::default()
        };
        assert_eq!(record_batch_with(rows, None, &only_cost).unwrap().num_columns(), 10);
        assert!(record_batch_with(rows, Some(&[3]), &only_cost).is_err());
        let short = ExtraColumns {
            account: Some(&accounts[..1]),
            ..ExtraColumns::default()
        };
        assert!(record_batch_with(rows, None, &short).is_err());
        let batches = record_batches_with(rows, Some(&[]), &extras).unwrap();
        assert_eq!(
            (batches.len(), batches[0].num_rows(), batches[0].num_columns()),
            (1, 0, 12)
        );
        assert_eq!(record_batches_with(rows, None, &extras).unwrap()[0].num_rows(), 3);
        // The source column: true, false, null for unknown.
        let states = [SourceState::Exists, SourceState::Gone, SourceState::Unknown];
        let with_source = ExtraColumns {
            source: Some(&states),
            ..ExtraColumns::default()
        };
        let batch = record_batch_with(rows, Some(&[1, 0, 2]), &with_source).unwrap();
        assert_eq!(batch.schema().field(9).name(), "source_exists");
        let col = batch.column(9).as_boolean();
        assert_eq!((col.value(0), col.value(1), col.is_null(2)), (false, true, true));
        let short = ExtraColumns {
            source: Some(&states[..2]),
            ..ExtraColumns::default()
        };
        assert!(record_batch_with(rows, None, &short).is_err());
    }

    #[test]
    fn plan_batches() {
        let page = decode_page(br#"{"snapshots":[{"id":"1"},{"id":"2"},{"id":"3"}]}"#).unwrap();
        let rows = page.snapshots();
        let reasons = vec![vec!["last", "daily"]];
        let batches = plan_record_batches(rows, &[2], &[0, 1], &reasons, &ExtraColumns::default()).unwrap();
        let batch = &batches[0];
        assert_eq!(batch.schema(), plan_schema_with(&ExtraColumns::default()));
        let ids = batch.column(0).as_string::<i32>();
        assert_eq!((ids.value(0), ids.value(1), ids.value(2)), ("3", "1", "2"));
        let action = batch.column(9).as_string::<i32>();
        assert_eq!((action.value(0), action.value(2)), ("keep", "delete"));
        let why = batch.column(10).as_list::<i32>();
        assert_eq!(why.value(0).len(), 2);
        assert_eq!(why.value(1).len(), 0);
        assert!(plan_record_batches(rows, &[2], &[], &[], &ExtraColumns::default()).is_err());
        assert_eq!(
            plan_record_batches(rows, &[], &[], &[], &ExtraColumns::default()).unwrap()[0].num_rows(),
            0
        );
    }

    #[test]
    fn summary_batch() {
        let rows = vec![
            SummaryRow {
                group: "droplet".into(),
                count: 2,
                size_gigabytes: 3.0,
                monthly_cost_usd: 0.18,
            },
            SummaryRow {
                group: "(none)".into(),
                count: 1,
                size_gigabytes: 0.0,
                monthly_cost_usd: 0.0,
            },
        ];
        let batch = summary_record_batch(&rows).unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.column(0).as_string::<i32>().value(1), "(none)");
        assert_eq!(
            batch
                .column(1)
                .as_primitive::<arrow_array::types::UInt64Type>()
                .value(0),
            2
        );
        assert_eq!(batch.column(3).as_primitive::<Float64Type>().value(0), 0.18);
        assert_eq!(summary_record_batch(&[]).unwrap().num_rows(), 0);
    }
}
