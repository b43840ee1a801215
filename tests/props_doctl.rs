//! Property tests of doctl's config reader: `cargo test --no-default-features --test props_doctl`.
//!
//! On any text made of YAML's punctuation, indentation, a few words and a real-looking token, `doctl::parse`
//! never panics, and no error message contains the token (or any 16-character piece of it).
//! `PROPTEST_CASES=100000` for long runs.

use _core::core::doctl;
use proptest::prelude::*;

mod common;
use common::config;

const TOKEN: &str = "dop_v1_9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(TOKEN.to_owned()),
        Just(format!("x{TOKEN}")),
        Just(TOKEN[7..40].to_owned()),
        prop::sample::select(vec![
            "access-token",
            "auth-contexts",
            "context",
            "Access-Token",
            "work",
            "a",
            "~",
            "null",
            ": ",
            ":",
            "- ",
            "-",
            "? ",
            "[",
            "]",
            "{",
            "}",
            ", ",
            "&a ",
            "*a",
            "&b ",
            "*b",
            "!!str ",
            "!x ",
            "| ",
            "> ",
            "|-",
            "# ",
            "'",
            "\"",
            "\\",
            "\\u00e9",
            "\n",
            "\n  ",
            "\n    ",
            "\n- ",
            "\t",
            " ",
            "---\n",
            "...\n",
            "%YAML 1.2\n",
            "@",
            "`",
            "\u{feff}",
            "é",
        ])
        .prop_map(str::to_owned),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..60).prop_map(|v| v.concat())
}

fn check(text: &str) {
    match doctl::parse(text) {
        Ok(cfg) => {
            assert!(!format!("{cfg:?}").contains(&TOKEN[7..23]));
            for name in cfg.known() {
                assert!(!name.contains(&TOKEN[7..23]), "{name}");
            }
            if let Err(e) = cfg.token_for(Some(TOKEN)) {
                let msg = e.to_string();
                assert!(!msg.contains(&TOKEN[7..23]), "{msg}");
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("line "), "{msg}");
            for start in 0..TOKEN.len() - 16 {
                assert!(!msg.contains(&TOKEN[start..start + 16]), "{text:?} leaks: {msg}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_never_panics_and_never_shows_the_token(t in text()) {
        check(&t);
    }

    #[test]
    fn a_token_in_a_doctl_shaped_file_never_leaks(
        before in text(),
        after in text(),
        indent in 0usize..4,
    ) {
        let pad = " ".repeat(indent);
        check(&format!("{before}\naccess-token: {TOKEN}\nauth-contexts:\n{pad}  w: {TOKEN}\n{after}"));
    }
}
