//! Python `re` patterns in the `regex` crate: `select(name=re.compile(...))` selects exactly what `re.search`
//! would, or refuses the pattern naming the construct the two engines read differently. Never a silent
//! difference: where a difference would select more, a prune plan would delete more.
//!
//! The pattern is read the way CPython's parser reads it (`Lib/re/_parser.py`: the same escapes, the same
//! literal `{`, the same class syntax, verbose mode's whitespace and comments) and written back in the crate's
//! syntax (<https://docs.rs/regex/latest/regex/#syntax>). What is translated:
//!
//! - inside a class, `[`, `&&`, `~~`, `--` and `[:alpha:]` are literal characters for Python (it only warns,
//!   `FutureWarning: Possible nested set`), while the crate reads nested classes, set operations and POSIX
//!   classes: they are escaped, so `[[:alpha:]]` means what it means in Python (one of `[:alph` then `]`);
//! - `{,n}` is `{0,n}` and `{,}` is `*`; a `{` that doesn't start a valid repetition is a literal `{`;
//! - `\w` is Python's (letters and numbers of every script, and `_`: `[\p{L}\p{N}_]`), `\s` Python's (Unicode
//!   white space and the separators `\x1C`–`\x1F`), `\d` is `\p{Nd}` in both;
//! - `\Z` is the crate's `\z`; `\<` and `\>` are the literal `<` and `>` (the crate reads word boundaries);
//! - `\x..`, `\u....`, `\U........` and octal escapes are the characters they name;
//! - `$` without `re.MULTILINE` also matches before a final `\n` in Python: at the end of a branch it becomes
//!   `(?:\n?\z)`, which `re.search` and this search agree on;
//! - `(?#...)` comments and verbose mode (`re.VERBOSE`, `(?x)`) are removed here, with Python's rules (white
//!   space inside a class or a repetition `{m,n}` counts), so the crate never sees `x` mode;
//! - group names are dropped (`is_match` doesn't use them, and the crate's allowed names differ).
//!
//! What is refused, with the reason: look-around, back-references, conditionals `(?(1)..)`, atomic groups
//! `(?>..)`, possessive repetitions (`a*+`), `\N{...}`, `\b`/`\B` (Python's word characters aren't the crate's:
//! it also counts combining marks, connector punctuation and joiners), `re.ASCII` and `re.LOCALE` (no such
//! switch in the crate), inline flags after the start (Python < 3.11 applies them to the whole pattern), and a
//! `$` followed by more pattern.
//!
//! Under `re.IGNORECASE` both fold case the same way on every character (checked by
//! `tests/test_select_regex.py`) except `İ` and `ı`, which Python folds with `i`/`I`: literals and classes that
//! hold one of the four get all four.
//!
//! Known limit: Unicode classes and case folding follow the crate's Unicode tables, which can be newer than the
//! running Python's `unicodedata`: a character assigned after Python's Unicode version is a letter here and
//! unassigned (so no `\w`) there.

/// The `re` flags that matter for a `str` pattern (`re.UNICODE` is implied; `re.LOCALE` is refused).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PyFlags {
    pub ignorecase: bool,
    pub multiline: bool,
    pub dotall: bool,
    pub verbose: bool,
}

impl PyFlags {
    pub const IGNORECASE: i64 = 2;
    pub const LOCALE: i64 = 4;
    pub const MULTILINE: i64 = 8;
    pub const DOTALL: i64 = 16;
    pub const UNICODE: i64 = 32;
    pub const VERBOSE: i64 = 64;
    pub const ASCII: i64 = 256;

    /// `re.Pattern.flags` (a compiled str pattern always has `re.UNICODE` unless `re.ASCII`).
    pub fn from_bits(bits: i64) -> Result<Self, String> {
        let known = Self::IGNORECASE | Self::MULTILINE | Self::DOTALL | Self::UNICODE | Self::VERBOSE | Self::ASCII;
        if bits & Self::LOCALE != 0 {
            return Err("re.LOCALE depends on the C locale, which the Rust engine doesn't read".into());
        }
        if bits & Self::ASCII != 0 {
            return Err(ascii_refused());
        }
        if bits & !known != 0 {
            return Err(format!("unknown re flags {:#x}", bits & !known));
        }
        Ok(Self {
            ignorecase: bits & Self::IGNORECASE != 0,
            multiline: bits & Self::MULTILINE != 0,
            dotall: bits & Self::DOTALL != 0,
            verbose: bits & Self::VERBOSE != 0,
        })
    }

    fn set(&mut self, c: char, on: bool) {
        match c {
            'i' => self.ignorecase = on,
            'm' => self.multiline = on,
            's' => self.dotall = on,
            'x' => self.verbose = on,
            _ => {}
        }
    }
}

/// Python's `\w` and `\s` for `str` patterns (checked against CPython on every code point by
/// `tests/test_select_regex.py`).
const WORD: &str = r"\p{L}\p{N}_";
const SPACE: &str = r"\s\x1C-\x1F";
/// `I`, `i`, `İ`, `ı`: one case class for Python (`Lib/re/_casefix.py`), two for the crate.
const TURKISH_I: [char; 4] = ['I', 'i', '\u{130}', '\u{131}'];
const TURKISH_I_CLASS: &str = r"[Ii\x{130}\x{131}]";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Alt,
    Repeat,
    Dollar,
    Other,
}

struct Translator<'a> {
    chars: Vec<char>,
    i: usize,
    out: String,
    toks: Vec<Tok>,
    /// Flags of the enclosing groups (scoped flags `(?i:...)` push, `)` pops).
    flags: Vec<PyFlags>,
    pattern: &'a str,
}

/// Translates a Python pattern (as `re.compile` accepted it) with its flags into the crate's syntax, or says
/// why it can't be.
pub fn translate(pattern: &str, flags: PyFlags) -> Result<String, String> {
    let mut t = Translator {
        chars: pattern.chars().collect(),
        i: 0,
        out: String::with_capacity(pattern.len() + 16),
        toks: Vec::new(),
        flags: vec![flags],
        pattern,
    };
    t.global_flags()?;
    let f = t.flag();
    let mut prefix = String::new();
    for (on, c) in [(f.ignorecase, 'i'), (f.multiline, 'm'), (f.dotall, 's')] {
        if on {
            prefix.push(c);
        }
    }
    t.body()?;
    t.check_dollars()?;
    Ok(if prefix.is_empty() {
        t.out
    } else {
        format!("(?{prefix}){}", t.out)
    })
}

fn ascii_refused() -> String {
    refused(
        "re.ASCII",
        "its ASCII-only \\w, \\d, \\s, \\b and case folding have no switch in the Rust engine, whose classes are \
         Unicode; compile without it and write the ASCII classes out, e.g. [0-9A-Za-z_]",
    )
}

fn refused(construct: &str, why: &str) -> String {
    format!("{construct} can't be matched exactly like Python's re: {why}")
}

fn escape_char(c: char) -> String {
    let mut buf = [0u8; 4];
    regex::escape(c.encode_utf8(&mut buf))
}

/// A character inside a class, escaped so the crate reads it literally (no nesting, set operation or range).
fn class_char(c: char) -> String {
    if matches!(c, '\\' | '[' | ']' | '^' | '-' | '&' | '~') || c.is_whitespace() || c.is_control() || c == '#' {
        format!("\\x{{{:X}}}", c as u32)
    } else {
        c.to_string()
    }
}

impl Translator<'_> {
    fn flag(&self) -> PyFlags {
        *self.flags.last().unwrap_or(&PyFlags::default())
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.i + n).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.i += usize::from(c.is_some());
        c
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn emit(&mut self, tok: Tok, text: &str) {
        self.out.push_str(text);
        self.toks.push(tok);
    }

    /// `(?aimsux)` groups at the very start set the flags of the whole pattern.
    fn global_flags(&mut self) -> Result<(), String> {
        loop {
            if self.peek() != Some('(') || self.peek_at(1) != Some('?') {
                return Ok(());
            }
            let mut j = self.i + 2;
            let mut letters = Vec::new();
            while let Some(&c) = self.chars.get(j) {
                if "aiLmsux".contains(c) {
                    letters.push(c);
                    j += 1;
                } else {
                    break;
                }
            }
            if letters.is_empty() || self.chars.get(j) != Some(&')') {
                return Ok(());
            }
            let mut f = self.flag();
            for c in letters {
                if c == 'L' {
                    return Err(refused("(?L)", "re.LOCALE depends on the C locale"));
                }
                if c == 'a' {
                    return Err(ascii_refused());
                }
                f.set(c, true);
            }
            self.flags[0] = f;
            self.i = j + 1;
        }
    }

    /// Verbose mode: white space and `#` comments between items are not part of the pattern.
    fn skip_verbose(&mut self) {
        if !self.flag().verbose {
            return;
        }
        while let Some(c) = self.peek() {
            if c.is_whitespace() && " \t\n\r\x0B\x0C".contains(c) {
                self.i += 1;
            } else if c == '#' {
                while let Some(c) = self.next() {
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn body(&mut self) -> Result<(), String> {
        loop {
            self.skip_verbose();
            let Some(c) = self.next() else {
                return Ok(());
            };
            match c {
                '|' => self.emit(Tok::Alt, "|"),
                '(' => self.group()?,
                ')' => {
                    if self.flags.len() > 1 {
                        self.flags.pop();
                    }
                    self.emit(Tok::Close, ")");
                    self.repeat()?;
                }
                '[' => {
                    let class = self.class()?;
                    self.emit(Tok::Other, &class);
                    self.repeat()?;
                }
                '\\' => {
                    if self.escape()? {
                        self.repeat()?;
                    }
                }
                '.' => {
                    self.emit(Tok::Other, ".");
                    self.repeat()?;
                }
                '^' => self.emit(Tok::Other, "^"),
                '$' => {
                    if self.flag().multiline {
                        self.emit(Tok::Other, "$");
                    } else {
                        self.emit(Tok::Dollar, r"(?:\n?\z)");
                    }
                }
                '*' | '+' | '?' => {
                    // Only after an item (Python refuses "nothing to repeat"); written as is.
                    self.i -= 1;
                    self.repeat()?;
                }
                '{' => {
                    self.i -= 1;
                    if !self.repeat()? {
                        self.i += 1;
                        self.emit(Tok::Other, r"\{");
                        self.repeat()?;
                    }
                }
                other => {
                    self.literal(other);
                    self.repeat()?;
                }
            }
        }
    }

    /// A repetition after an item, if there is one: `*`, `+`, `?`, `{m}`, `{m,}`, `{,n}`, `{m,n}` (not in
    /// verbose mode's white space: Python reads `{...}` as it is), lazy `?` kept, possessive `+` refused.
    fn repeat(&mut self) -> Result<bool, String> {
        let save = self.i;
        self.skip_verbose();
        let text = match self.peek() {
            Some(c @ ('*' | '+' | '?')) => {
                self.i += 1;
                c.to_string()
            }
            Some('{') => match self.braces() {
                Some(t) => t,
                None => {
                    self.i = save;
                    return Ok(false);
                }
            },
            _ => {
                self.i = save;
                return Ok(false);
            }
        };
        let mut text = text;
        if self.eat('?') {
            text.push('?');
        } else if self.peek() == Some('+') {
            return Err(refused(
                &format!("the possessive repetition {text}+"),
                "the Rust engine has no possessive repetitions",
            ));
        }
        self.emit(Tok::Repeat, &text);
        Ok(true)
    }

    /// `{m}`, `{m,}`, `{,n}`, `{,}`, `{m,n}` as Python reads them (digits only), written for the crate.
    fn braces(&mut self) -> Option<String> {
        let start = self.i;
        self.i += 1; // `{`
        if self.peek() == Some('}') {
            self.i = start;
            return None;
        }
        let digits = |t: &mut Self| {
            let mut s = String::new();
            while let Some(c) = t.peek().filter(char::is_ascii_digit) {
                s.push(c);
                t.i += 1;
            }
            s
        };
        let lo = digits(self);
        let (comma, hi) = if self.eat(',') {
            (true, digits(self))
        } else {
            (false, String::new())
        };
        if !self.eat('}') {
            self.i = start;
            return None;
        }
        let lo = if lo.is_empty() { "0".to_owned() } else { lo };
        Some(match (comma, hi.is_empty()) {
            (false, _) => format!("{{{lo}}}"),
            (true, true) => format!("{{{lo},}}"),
            (true, false) => format!("{{{lo},{hi}}}"),
        })
    }

    fn group(&mut self) -> Result<(), String> {
        let outer = self.flag();
        if !self.eat('?') {
            self.flags.push(outer);
            self.emit(Tok::Open, "(");
            return Ok(());
        }
        match self.next() {
            Some(':') => {
                self.flags.push(outer);
                self.emit(Tok::Open, "(?:");
            }
            Some('P') => match self.next() {
                Some('<') => {
                    while let Some(c) = self.next() {
                        if c == '>' {
                            break;
                        }
                    }
                    self.flags.push(outer);
                    self.emit(Tok::Open, "(");
                }
                _ => {
                    return Err(refused(
                        "the back-reference (?P=name)",
                        "the Rust engine has no back-references",
                    ))
                }
            },
            Some('#') => {
                while let Some(c) = self.next() {
                    if c == ')' {
                        break;
                    }
                }
            }
            Some('=' | '!') => {
                return Err(refused(
                    "look-ahead (?=...) / (?!...)",
                    "the Rust engine has no look-around",
                ))
            }
            Some('<') => {
                return Err(refused(
                    "look-behind (?<=...) / (?<!...)",
                    "the Rust engine has no look-around",
                ))
            }
            Some('(') => return Err(refused("the conditional group (?(...)...)", "the Rust engine has none")),
            Some('>') => {
                return Err(refused(
                    "the atomic group (?>...)",
                    "the Rust engine has no atomic groups",
                ))
            }
            Some(c) if "aiLmsux-".contains(c) => {
                self.i -= 1;
                let mut f = outer;
                let mut on = true;
                let mut rust_on = String::new();
                let mut rust_off = String::new();
                loop {
                    match self.next() {
                        Some('-') => on = false,
                        Some(':') => break,
                        Some('L') => return Err(refused("(?L:...)", "re.LOCALE depends on the C locale")),
                        Some('a') => return Err(ascii_refused()),
                        Some(c) if "imsux".contains(c) => {
                            f.set(c, on);
                            if "ims".contains(c) {
                                if on { &mut rust_on } else { &mut rust_off }.push(c);
                            }
                        }
                        Some(')') => {
                            return Err(refused(
                                "inline flags not at the start of the pattern",
                                "Python before 3.11 applies them to the whole pattern; put them first",
                            ))
                        }
                        _ => return Err(format!("unexpected flags group in {:?}", self.pattern)),
                    }
                }
                self.flags.push(f);
                let text = match (rust_on.is_empty(), rust_off.is_empty()) {
                    (true, true) => "(?:".to_owned(),
                    (false, true) => format!("(?{rust_on}:"),
                    (_, false) => format!("(?{rust_on}-{rust_off}:"),
                };
                self.emit(Tok::Open, &text);
            }
            _ => return Err(format!("unexpected group syntax in {:?}", self.pattern)),
        }
        Ok(())
    }

    /// The class of `\d`, `\s`, `\w` (upper case: negated) under the current flags, as class items.
    fn category(&self, c: char) -> Option<(&'static str, bool)> {
        let items = match c.to_ascii_lowercase() {
            'd' => r"\p{Nd}",
            's' => SPACE,
            'w' => WORD,
            _ => return None,
        };
        Some((items, c.is_ascii_uppercase()))
    }

    /// A character given by `\x..`, `\u....`, `\U........` or an octal escape, after the letter/digit `c`.
    fn code_escape(&mut self, c: char, in_class: bool) -> Result<Option<char>, String> {
        let hex = |t: &mut Self, n: usize| -> Result<char, String> {
            let s: String = t.chars.get(t.i..t.i + n).unwrap_or(&[]).iter().collect();
            t.i += n;
            u32::from_str_radix(&s, 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("bad escape in {:?}", t.pattern))
        };
        Ok(Some(match c {
            'x' => hex(self, 2)?,
            'u' => hex(self, 4)?,
            'U' => hex(self, 8)?,
            'a' => '\x07',
            'f' => '\x0C',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\x0B',
            '0'..='7' => {
                // Octal: `\0`, `\0oo`; in a class any `\o{1,3}`; outside, `\ooo` with three octal digits
                // (one or two digits are a back-reference, refused by the caller).
                let mut s = c.to_string();
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ '0'..='7') => {
                            s.push(d);
                            self.i += 1;
                        }
                        _ => break,
                    }
                }
                if !in_class && c != '0' && s.len() < 3 {
                    return Err(refused(
                        &format!("the back-reference \\{s}"),
                        "the Rust engine has no back-references",
                    ));
                }
                char::from_u32(u32::from_str_radix(&s, 8).unwrap_or(0)).unwrap_or('\0')
            }
            'N' => {
                return Err(refused(
                    "\\N{...}",
                    "the Rust engine has no named characters; write \\u....",
                ))
            }
            _ => return Ok(None),
        }))
    }

    /// An escape outside a class; `Ok(true)` when it is an item (a repetition may follow), `Ok(false)` for an
    /// assertion.
    fn escape(&mut self) -> Result<bool, String> {
        let Some(c) = self.next() else {
            return Err(format!("a trailing backslash in {:?}", self.pattern));
        };
        if let Some((items, negated)) = self.category(c) {
            let text = format!("[{}{items}]", if negated { "^" } else { "" });
            self.emit(Tok::Other, &text);
            return Ok(true);
        }
        let assertion = match c {
            'A' => Some(r"\A"),
            'Z' | 'z' => Some(r"\z"),
            'b' | 'B' => {
                return Err(refused(
                    &format!("the word boundary \\{c}"),
                    "Python's word characters (letters and numbers of every script, and `_`) aren't the Rust \
                     engine's (which also counts combining marks, connector punctuation and joiners), so a \
                     boundary can fall elsewhere; write it out, e.g. (?:^|\\W)web(?:\\W|$) for \\bweb\\b",
                ))
            }
            _ => None,
        };
        if let Some(text) = assertion {
            self.emit(Tok::Other, text);
            return Ok(false);
        }
        if c.is_ascii_digit() && c != '0' {
            // `\1`..`\99`: a back-reference, unless three octal digits.
            let octal =
                c <= '7' && matches!(self.peek(), Some('0'..='7')) && matches!(self.peek_at(1), Some('0'..='7'));
            if !octal {
                return Err(refused(
                    &format!("the back-reference \\{c}"),
                    "the Rust engine has no back-references",
                ));
            }
        }
        let ch = self.code_escape(c, false)?.unwrap_or(c);
        self.literal(ch);
        Ok(true)
    }

    /// A literal character outside a class. Under IGNORECASE, Python also folds `İ` and `ı` with `i` and `I`
    /// (the only case equivalence the two engines don't share; checked on every cased character).
    fn literal(&mut self, c: char) {
        let f = self.flag();
        if f.ignorecase && TURKISH_I.contains(&c) {
            self.emit(Tok::Other, TURKISH_I_CLASS);
        } else {
            let text = escape_char(c);
            self.emit(Tok::Other, &text);
        }
    }

    /// A class `[...]` as Python reads it (`[` inside, `&&`, `~~`, `--`, `[:..:]` all literal).
    fn class(&mut self) -> Result<String, String> {
        let mut out = String::from("[");
        if self.eat('^') {
            out.push('^');
        }
        let fold_i = self.flag().ignorecase;
        let mut has_i = false;
        let mut first = true;
        loop {
            let Some(c) = self.next() else {
                return Err(format!("an unclosed class in {:?}", self.pattern));
            };
            if c == ']' && !first {
                break;
            }
            first = false;
            // One item: a character (possibly a range start) or a category.
            let lo = if c == '\\' {
                let Some(e) = self.next() else {
                    return Err(format!("a trailing backslash in {:?}", self.pattern));
                };
                if let Some((items, negated)) = self.category(e) {
                    if negated {
                        out.push_str(&format!("[^{items}]"));
                    } else {
                        out.push_str(items);
                    }
                    continue;
                }
                if e == 'b' {
                    '\x08'
                } else {
                    self.code_escape(e, true)?.unwrap_or(e)
                }
            } else {
                c
            };
            // A range `lo-hi` (a `-` right before `]` is a literal `-`).
            if self.peek() == Some('-') && self.peek_at(1).is_some_and(|n| n != ']') {
                self.i += 1;
                let hc = self.next().unwrap_or(']');
                let hi = if hc == '\\' {
                    let e = self.next().unwrap_or('\\');
                    if e == 'b' {
                        '\x08'
                    } else {
                        match self.code_escape(e, true)? {
                            Some(ch) => ch,
                            None => e,
                        }
                    }
                } else {
                    hc
                };
                has_i |= TURKISH_I.iter().any(|c| (lo..=hi).contains(c));
                out.push_str(&class_char(lo));
                out.push('-');
                out.push_str(&class_char(hi));
            } else {
                has_i |= TURKISH_I.contains(&lo);
                out.push_str(&class_char(lo));
            }
        }
        if fold_i && has_i {
            out.push_str(&TURKISH_I_CLASS[1..TURKISH_I_CLASS.len() - 1]);
        }
        out.push(']');
        Ok(out)
    }

    /// Every `$` translated to `(?:\n?\z)` must end its branch: nothing may follow it up to the end of the
    /// pattern, other than closing groups (not repeated) and other alternatives.
    fn check_dollars(&self) -> Result<(), String> {
        for (k, _) in self.toks.iter().enumerate().filter(|(_, t)| **t == Tok::Dollar) {
            let mut i = k + 1;
            let ok = loop {
                match self.toks.get(i) {
                    None => break true,
                    Some(Tok::Close) => {
                        if self.toks.get(i + 1) == Some(&Tok::Repeat) {
                            break false;
                        }
                        i += 1;
                    }
                    Some(Tok::Alt) => {
                        // Skip the other alternatives of this group, to its `)` (or the end).
                        let mut depth = 0usize;
                        i += 1;
                        while let Some(t) = self.toks.get(i) {
                            match t {
                                Tok::Open => depth += 1,
                                Tok::Close if depth == 0 => break,
                                Tok::Close => depth -= 1,
                                _ => {}
                            }
                            i += 1;
                        }
                    }
                    Some(_) => break false,
                }
            };
            if !ok {
                return Err(refused(
                    "a `$` followed by more pattern",
                    "without re.MULTILINE Python's `$` also matches just before a final newline, which the Rust \
                     engine can only follow at the end of the pattern; use \\Z for the very end",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(p: &str) -> String {
        translate(p, PyFlags::default()).unwrap()
    }

    #[test]
    fn translations() {
        assert_eq!(t("[[:alpha:]]"), r"[\x{5B}:alpha:]\]");
        assert_eq!(t("a{,2}"), "a{0,2}");
        assert_eq!(t("a{,}"), "a{0,}");
        assert_eq!(t("a{x}"), r"a\{x\}");
        assert_eq!(t("web$"), r"web(?:\n?\z)");
        assert_eq!(t(r"\w"), r"[\p{L}\p{N}_]");
        assert!(translate("web$x", PyFlags::default()).is_err());
        assert!(translate("(web$)+", PyFlags::default()).is_err());
        assert_eq!(t("(?:web$|db)"), r"(?:web(?:\n?\z)|db)");
    }
}
