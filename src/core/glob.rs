//! Name patterns: a glob with Python's `fnmatch.fnmatchcase` rules, or a Python regex translated for the
//! `regex` crate (`core::python_re`), each compiled once into a [`Regex`].

use regex::{Regex, RegexBuilder};

use crate::core::error::{Error, Result};
use crate::core::python_re;
pub use crate::core::python_re::PyFlags;

/// The compiled size a name regex may take: the crate's default of 10 MB refuses `\w{500}` (Python's `\w`, a class
/// of every letter and number, repeated 500 times), which builds in well under a second within this limit.
pub const REGEX_SIZE_LIMIT: usize = 64 << 20;

/// A compiled name pattern.
#[derive(Debug, Clone)]
pub struct NamePattern {
    regex: Regex,
    /// The pattern as given (for reprs and errors).
    pub source: String,
    pub is_glob: bool,
}

impl NamePattern {
    /// A glob with Python's `fnmatch.fnmatchcase` rules, compiled to an anchored regex.
    pub fn glob(pattern: &str) -> Result<Self> {
        let translated = glob_to_regex(pattern);
        let regex = Regex::new(&translated)
            .map_err(|e| Error::invalid("name", format!("name: cannot compile the glob {pattern:?}: {e}")))?;
        Ok(Self {
            regex,
            source: pattern.to_owned(),
            is_glob: true,
        })
    }

    /// A Python regex (a `re.Pattern`'s text and flags), searched anywhere in the name like `re.search`:
    /// translated by [`python_re::translate`], which refuses what the `regex` crate would read differently,
    /// naming the construct and why.
    pub fn regex(pattern: &str, flags: PyFlags) -> Result<Self> {
        let refuse = |why: String| Error::invalid("name", format!("name: the regex {pattern:?} is refused: {why}"));
        let translated = python_re::translate(pattern, flags).map_err(refuse)?;
        let regex = RegexBuilder::new(&translated)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                refuse(match e {
                    regex::Error::CompiledTooBig(limit) => format!(
                        "it is too large once compiled (over {} MB; a Unicode class such as \\w grows fast when \
                         repeated: repeat less, or compile with re.ASCII)",
                        limit / 1_000_000
                    ),
                    other => format!("the Rust regex engine can't read it: {other}"),
                })
            })?;
        Ok(Self {
            regex,
            source: pattern.to_owned(),
            is_glob: false,
        })
    }

    pub fn is_match(&self, name: &str) -> bool {
        self.regex.is_match(name)
    }

    pub fn as_regex(&self) -> &Regex {
        &self.regex
    }
}

/// Translates a glob to an anchored regex, following `fnmatch.translate`: `*` any run, `?` any one character,
/// `[seq]` / `[!seq]` a class (a `]` right after the opening bracket is literal; reversed ranges such as `z-a`
/// are dropped, and a class left empty matches nothing), an unclosed `[` is a literal bracket.
pub fn glob_to_regex(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() * 2 + 12);
    out.push_str(r"(?s)\A(?:");
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                while i < chars.len() && chars[i] == '*' {
                    i += 1;
                }
                out.push_str(".*");
            }
            '?' => out.push('.'),
            '[' => {
                // Find the closing bracket: a `!` and then a `]` right after `[` are part of the class.
                let mut j = i;
                if j < chars.len() && chars[j] == '!' {
                    j += 1;
                }
                if j < chars.len() && chars[j] == ']' {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push_str(r"\[");
                    continue;
                }
                let body = &chars[i..j];
                i = j + 1;
                let (negate, body) = match body.first() {
                    Some('!') => (true, &body[1..]),
                    _ => (false, body),
                };
                let mut class = String::new();
                let mut k = 0;
                while k < body.len() {
                    if k + 2 < body.len() && body[k + 1] == '-' {
                        let (lo, hi) = (body[k], body[k + 2]);
                        if lo <= hi {
                            push_class_char(&mut class, lo);
                            class.push('-');
                            push_class_char(&mut class, hi);
                        }
                        k += 3;
                    } else {
                        push_class_char(&mut class, body[k]);
                        k += 1;
                    }
                }
                match (class.is_empty(), negate) {
                    // An empty class matches nothing.
                    (true, false) => out.push_str(r"[^\s\S]"),
                    (true, true) => out.push('.'),
                    (false, false) => {
                        out.push('[');
                        out.push_str(&class);
                        out.push(']');
                    }
                    (false, true) => {
                        out.push_str("[^");
                        out.push_str(&class);
                        out.push(']');
                    }
                }
            }
            other => {
                let mut buf = [0u8; 4];
                out.push_str(&regex::escape(other.encode_utf8(&mut buf)));
            }
        }
    }
    out.push_str(r")\z");
    out
}

fn push_class_char(class: &mut String, c: char) {
    if matches!(c, '\\' | '[' | ']' | '^' | '-' | '&' | '~') {
        class.push('\\');
    }
    class.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_follow_fnmatchcase() {
        let cases: &[(&str, &str, bool)] = &[
            ("web-*", "web-01", true),
            ("web-*", "Web-01", false),
            ("web-0?", "web-01", true),
            ("web-0?", "web-011", false),
            ("*", "", true),
            ("*.tar", "a\nb.tar", true),
            ("[wW]eb*", "Web-03", true),
            ("[!w]eb*", "Web-03", true),
            ("[!w]eb*", "web-03", false),
            ("[]]", "]", true),
            ("[!]]", "a", true),
            ("[a-c]x", "bx", true),
            ("[z-a]x", "bx", false),
            ("[", "[", true),
            ("a[b", "a[b", true),
            ("a.b+c(d)", "a.b+c(d)", true),
            ("a.b", "axb", false),
            ("données-*", "données-ñ", true),
            ("[\\]x", "\\x", true),
            ("[^a]", "^", true),
            ("[a-]", "-", true),
            ("**b", "ab", true),
        ];
        for (pat, name, want) in cases {
            let p = NamePattern::glob(pat).unwrap();
            assert_eq!(
                p.is_match(name),
                *want,
                "glob {pat:?} on {name:?} ({})",
                glob_to_regex(pat)
            );
        }
    }

    #[test]
    fn regex_searches_and_reports_unsupported() {
        let flags = PyFlags::default();
        let p = NamePattern::regex("eb-0[12]", flags).unwrap();
        assert!(p.is_match("web-01") && !p.is_match("web-03"));
        assert!(NamePattern::regex("(?i)^WEB", flags).unwrap().is_match("web-1"));
        let err = NamePattern::regex("web(?=-)", flags).unwrap_err();
        match &err {
            Error::InvalidArgument { param, message, .. } => {
                assert_eq!(*param, "name");
                assert!(message.contains("look-ahead"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let big = NamePattern::regex(r"\w{500}", flags);
        assert!(big.is_ok(), "{:?}", big.err());
        let huge = NamePattern::regex(r"\w{5000}", flags).unwrap_err().to_string();
        assert!(huge.contains("too large once compiled"), "{huge}");
    }
}
