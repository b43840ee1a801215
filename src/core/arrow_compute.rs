//! Droplets and volumes as Arrow record batches (the schemas are documented in docs/finding-waste.md).

use std::sync::Arc;

use arrow_array::builder::{Int64Builder, ListBuilder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field as ArrowField, Schema, SchemaRef, TimeUnit};

use crate::core::datetime::UtcDateTime;
use crate::core::models::{Droplet, Field, Str, Volume};

fn str_list() -> DataType {
    DataType::List(Arc::new(ArrowField::new("item", DataType::Utf8, true)))
}

fn int_list() -> DataType {
    DataType::List(Arc::new(ArrowField::new("item", DataType::Int64, true)))
}

fn timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// `id` int64, `name`, `status`, `created_at` timestamp[us, UTC], `region` (the slug), `size_slug`, `vcpus`,
/// `memory` (MiB), `disk` (GB) int64, `tags` list<utf8>, `snapshot_ids` list<int64>, `volume_ids` list<utf8>.
pub fn droplet_schema() -> SchemaRef {
    let f = |name: &str, t: DataType| ArrowField::new(name, t, true);
    Arc::new(Schema::new(vec![
        f("id", DataType::Int64),
        f("name", DataType::Utf8),
        f("status", DataType::Utf8),
        f("created_at", timestamp()),
        f("region", DataType::Utf8),
        f("size_slug", DataType::Utf8),
        f("vcpus", DataType::Int64),
        f("memory", DataType::Int64),
        f("disk", DataType::Int64),
        f("tags", str_list()),
        f("snapshot_ids", int_list()),
        f("volume_ids", str_list()),
    ]))
}

/// `id`, `name` utf8, `created_at` timestamp[us, UTC] (parsed here; the SDK's attribute is a string), `region`
/// (the slug), `size_gigabytes` int64, `droplet_ids` list<int64>, `tags` list<utf8>.
pub fn volume_schema() -> SchemaRef {
    let f = |name: &str, t: DataType| ArrowField::new(name, t, true);
    Arc::new(Schema::new(vec![
        f("id", DataType::Utf8),
        f("name", DataType::Utf8),
        f("created_at", timestamp()),
        f("region", DataType::Utf8),
        f("size_gigabytes", DataType::Int64),
        f("droplet_ids", int_list()),
        f("tags", str_list()),
    ]))
}

fn strs(b: &mut ListBuilder<StringBuilder>, f: &Field<Vec<Str>>) {
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

fn ints(b: &mut ListBuilder<Int64Builder>, f: &Field<Vec<i64>>) {
    match f {
        Field::Value(items) => {
            b.values().append_slice(items);
            b.append(true);
        }
        _ => b.append(false),
    }
}

fn text(f: &Field<Str>) -> Option<&str> {
    f.value().map(Str::as_str)
}

fn micros(f: &Field<Str>) -> Option<i64> {
    f.value().and_then(|s| UtcDateTime::parse(s)).map(|t| t.unix_micros())
}

pub fn droplet_batch(rows: &[Droplet]) -> Result<RecordBatch, ArrowError> {
    let n = rows.len();
    let mut id = Int64Builder::with_capacity(n);
    let mut name = StringBuilder::new();
    let mut status = StringBuilder::new();
    let mut created = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut region = StringBuilder::new();
    let mut size_slug = StringBuilder::new();
    let (mut vcpus, mut memory, mut disk) = (
        Int64Builder::with_capacity(n),
        Int64Builder::with_capacity(n),
        Int64Builder::with_capacity(n),
    );
    let mut tags = ListBuilder::new(StringBuilder::new());
    let mut snapshot_ids = ListBuilder::new(Int64Builder::new());
    let mut volume_ids = ListBuilder::new(StringBuilder::new());
    for d in rows {
        id.append_option(d.id.value().copied());
        name.append_option(text(&d.name));
        status.append_option(text(&d.status));
        created.append_option(micros(&d.created_at.0));
        region.append_option(d.region_slug());
        size_slug.append_option(text(&d.size_slug));
        vcpus.append_option(d.vcpus.value().copied());
        memory.append_option(d.memory.value().copied());
        disk.append_option(d.disk.value().copied());
        strs(&mut tags, &d.tags);
        ints(&mut snapshot_ids, &d.snapshot_ids);
        strs(&mut volume_ids, &d.volume_ids);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(name.finish()),
        Arc::new(status.finish()),
        Arc::new(created.finish()),
        Arc::new(region.finish()),
        Arc::new(size_slug.finish()),
        Arc::new(vcpus.finish()),
        Arc::new(memory.finish()),
        Arc::new(disk.finish()),
        Arc::new(tags.finish()),
        Arc::new(snapshot_ids.finish()),
        Arc::new(volume_ids.finish()),
    ];
    RecordBatch::try_new(droplet_schema(), columns)
}

pub fn volume_batch(rows: &[Volume]) -> Result<RecordBatch, ArrowError> {
    let n = rows.len();
    let mut id = StringBuilder::new();
    let mut name = StringBuilder::new();
    let mut created = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut region = StringBuilder::new();
    let mut size = Int64Builder::with_capacity(n);
    let mut droplet_ids = ListBuilder::new(Int64Builder::new());
    let mut tags = ListBuilder::new(StringBuilder::new());
    for v in rows {
        id.append_option(text(&v.id));
        name.append_option(text(&v.name));
        created.append_option(micros(&v.created_at));
        region.append_option(v.region_slug());
        size.append_option(v.size_gigabytes.value().copied());
        ints(&mut droplet_ids, &v.droplet_ids);
        strs(&mut tags, &v.tags);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(name.finish()),
        Arc::new(created.finish()),
        Arc::new(region.finish()),
        Arc::new(size.finish()),
        Arc::new(droplet_ids.finish()),
        Arc::new(tags.finish()),
    ];
    RecordBatch::try_new(volume_schema(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::models::{decode_droplet_page, decode_volume_page};

    #[test]
    fn batches_follow_the_schemas() {
        let page = decode_droplet_page(
            br#"{"droplets":[{"id":1,"region":{"slug":"nyc3"},"snapshot_ids":[5],"created_at":"2020-01-01T00:00:00Z"},
            {"id":"x","tags":null}]}"#,
        )
        .unwrap();
        let b = droplet_batch(page.droplets()).unwrap();
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.schema(), droplet_schema());
        assert_eq!(b.column(0).null_count(), 1);
        let v = decode_volume_page(br#"{"volumes":[{"id":"v","size_gigabytes":10,"droplet_ids":[1,2]}]}"#).unwrap();
        let b = volume_batch(v.volumes()).unwrap();
        assert_eq!(b.num_columns(), 7);
    }
}
