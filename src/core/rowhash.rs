//! Stable row hashes for warehouse loads (`gradientai_rs.dlt`): dlt's scd2 merge keeps one version of a row for
//! as long as its `row_version_column_name` value stays the same, so that value must depend only on the row's
//! content and be the same in every process, on every platform and in every release. `std`'s `DefaultHasher`
//! promises none of that, so this is FNV-1a 64 (a fixed, documented algorithm) over the row's canonical bytes,
//! finished with the splitmix64 mixer so that rows differing in one byte differ in about half the bits.
//! (FNV: <http://www.isthe.com/chongo/tech/comp/fnv/>, splitmix64: Steele, Lea & Flood, OOPSLA 2014.)

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Hashes `parts` as one byte string in which every part is followed by a 0xFF byte (which UTF-8 never contains),
/// so `["ab", "c"]` and `["a", "bc"]` differ. Returned as `i64`, the type warehouses store best.
pub fn row_hash(parts: &[&[u8]]) -> i64 {
    let mut h = FNV_OFFSET;
    for part in parts {
        for &b in part.iter().chain(std::iter::once(&0xFF)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(FNV_PRIME);
        }
    }
    // splitmix64's finaliser
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    h as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_values() {
        // Pinned (computed independently by a 10-line Python version of the algorithm): a change here
        // re-versions every row of every user's warehouse.
        assert_eq!(row_hash(&[b"acct", br#"{"id":"1"}"#]), 7_085_273_044_613_681_793);
        assert_eq!(row_hash(&[]), -780_787_492_076_525_413);
    }

    #[test]
    fn boundaries_and_content_matter() {
        assert_ne!(row_hash(&[b"ab", b"c"]), row_hash(&[b"a", b"bc"]));
        assert_ne!(row_hash(&[b"a"]), row_hash(&[b"a", b""]));
        assert_ne!(row_hash(&[br#"{"id":"1"}"#]), row_hash(&[br#"{"id":"2"}"#]));
        let mut seen = std::collections::HashSet::new();
        for i in 0..100_000u32 {
            assert!(seen.insert(row_hash(&[i.to_string().as_bytes()])), "collision at {i}");
        }
    }
}
