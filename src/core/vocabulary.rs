//! The enum vocabularies (sort fields, group-by keys, summary keys, resource types) are enums that derive their
//! names with `strum` (`EnumString` parses, `IntoStaticStr` names, `VariantNames` lists them, all from one
//! `serialize_all = "snake_case"` rule and the variants' own attributes), so the parser, the error messages, the
//! binding's `_core.SORT_FIELDS`/`GROUP_BY_KEYS`/`SUMMARY_KEYS`/`RESOURCE_TYPES` tuples and (through
//! `tests/test_vocabulary.py`) the stub's `Literal`s all read one list. strum is the derive crate pydantic-core
//! uses for the same job (`src/errors/types.rs`, <https://docs.rs/strum>).

use std::str::FromStr;

use strum::VariantNames;

use crate::core::error::{Error, Result};

/// Parses one name of the vocabulary `E`; an unknown name is an error naming `param` and every name.
pub fn parse<E: FromStr + VariantNames>(param: &'static str, s: &str) -> Result<E> {
    s.parse().map_err(|_| {
        Error::invalid(
            param,
            format!("{param} must be one of {}, got {s:?}", E::VARIANTS.join(", ")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, strum::EnumString, strum::VariantNames)]
    #[strum(serialize_all = "snake_case")]
    enum Colour {
        DeepRed,
        #[strum(to_string = "blue", serialize = "blues")]
        Blue,
    }

    #[test]
    fn names_and_aliases() {
        assert_eq!(Colour::VARIANTS, ["deep_red", "blue"]);
        assert_eq!(parse::<Colour>("c", "blues").unwrap(), Colour::Blue);
        let err = parse::<Colour>("colour", "Blue").unwrap_err().to_string();
        assert!(
            err.contains("colour must be one of deep_red, blue, got \"Blue\""),
            "{err}"
        );
    }
}
