//! Snapshots as Arrow record batches, built straight from the parsed Rust data (no Python object per row).

use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, ListBuilder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field as ArrowField, Schema, SchemaRef, TimeUnit};
use serde_json::Value;

use std::borrow::Cow;

use crate::core::models::{Field, Snapshot, Str};

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

/// A string column value: strings as they are, numbers as their text (an integer id), anything else null.
fn text(f: &Field<Str>) -> Option<Cow<'_, str>> {
    match f {
        Field::Value(s) => Some(Cow::Borrowed(s.as_str())),
        Field::Raw(v) => match v.as_ref() {
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            _ => None,
        },
        _ => None,
    }
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
    let n = rows.len();
    let mut id = StringBuilder::with_capacity(n, n * 16);
    let mut name = StringBuilder::with_capacity(n, n * 24);
    let mut created = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut regions = ListBuilder::new(StringBuilder::new());
    let mut resource_id = StringBuilder::with_capacity(n, n * 16);
    let mut resource_type = StringBuilder::with_capacity(n, n * 7);
    let mut min_disk = Int64Builder::with_capacity(n);
    let mut size = Float64Builder::with_capacity(n);
    let mut tags = ListBuilder::new(StringBuilder::new());
    for s in rows {
        id.append_option(text(&s.id));
        name.append_option(s.name.value().map(Str::as_str));
        created.append_option(s.created_at.parsed().map(|t| t.unix_micros()));
        append_list(&mut regions, &s.regions);
        resource_id.append_option(text(&s.resource_id));
        resource_type.append_option(s.resource_type.value().map(Str::as_str));
        min_disk.append_option(s.min_disk_size.value().copied());
        size.append_option(s.size_gigabytes.value().copied());
        append_list(&mut tags, &s.tags);
    }
    let columns: Vec<ArrayRef> = vec![
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
    RecordBatch::try_new(schema(), columns)
}

/// All rows, in batches of at most [`BATCH_ROWS`]; one empty batch for no rows (keeps the schema visible).
pub fn record_batches(rows: &[Snapshot]) -> Result<Vec<RecordBatch>, ArrowError> {
    if rows.is_empty() {
        return Ok(vec![record_batch(rows)?]);
    }
    rows.chunks(BATCH_ROWS).map(record_batch).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::models::decode_page;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
    use arrow_array::Array;

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
}
