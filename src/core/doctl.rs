//! Tokens from doctl's configuration file, so several accounts (doctl's "auth contexts") can be listed.
//!
//! doctl keeps its settings in `config.yaml` under `os.UserConfigDir()/doctl` ([`default_config_path`]),
//! written by viper as YAML. What we read:
//!
//! ```yaml
//! access-token: dop_v1_...        # the "default" context
//! auth-contexts:
//!   work: dop_v1_...
//!   personal: dop_v1_...
//! context: work                   # the current context ("default" when absent)
//! ```
//!
//! The file also holds every other doctl setting, nested by command (`compute:` → `ssh:` → ...), lists written
//! as `- item` lines, etc. A small block-YAML reader takes the whole file: mappings by indentation, plain,
//! 'single'- and "double"-quoted scalars, comments, `- item` sequences, `[...]`/`{...}` on one line and `|`/`>`
//! block scalars. Shapes it doesn't read are only an error when they hold one of the three keys we need (and
//! the error says so). No error message ever contains a value from the file, so a token can't leak; keys and
//! line numbers are named instead.
//!
//! Like viper, keys are case-insensitive: context names are lower-cased (doctl lower-cases `--context` too).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::core::config::ApiKey;
use crate::core::error::{Error, Result};

/// The context name meaning the top-level `access-token`.
pub const DEFAULT_CONTEXT: &str = "default";
pub const CONFIG_FILE_NAME: &str = "config.yaml";

#[derive(Clone, PartialEq, Default)]
pub struct DoctlConfig {
    /// Top-level `access-token` (the `default` context).
    pub access_token: Option<ApiKey>,
    /// `auth-contexts`: name (lower case) → token.
    pub contexts: BTreeMap<String, ApiKey>,
    /// `context`: the current context, when set.
    pub current: Option<String>,
}

impl std::fmt::Debug for DoctlConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DoctlConfig")
            .field("access_token", &self.access_token)
            .field("contexts", &self.contexts.keys().collect::<Vec<_>>())
            .field("current", &self.current)
            .finish()
    }
}

/// doctl's default config file: `--config`'s default, `filepath.Join(os.UserConfigDir(), "doctl",
/// "config.yaml")`, unless `DIGITALOCEAN_CONFIG` is set (viper reads every setting, `config` included, from
/// `DIGITALOCEAN_<KEY>`). `os.UserConfigDir()` is `%AppData%` on Windows, `$HOME/Library/Application Support`
/// on macOS and `$XDG_CONFIG_HOME` (when set and absolute) else `$HOME/.config` elsewhere. `None` when the
/// variables it needs are unset. `env` reads an environment variable (empty counts as unset).
pub fn default_config_path(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    default_config_path_for(std::env::consts::OS, env)
}

/// [`default_config_path`] for a given `std::env::consts::OS` value (for tests).
pub fn default_config_path_for(os: &str, env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(explicit) = var("DIGITALOCEAN_CONFIG") {
        return Some(PathBuf::from(explicit));
    }
    let config_dir = match os {
        "windows" => PathBuf::from(var("AppData").or_else(|| var("APPDATA"))?),
        "macos" | "ios" => Path::new(&var("HOME")?).join("Library").join("Application Support"),
        _ => match var("XDG_CONFIG_HOME") {
            Some(x) if Path::new(&x).is_absolute() => PathBuf::from(x),
            // Go refuses a relative $XDG_CONFIG_HOME (doctl then stops): there's no default file.
            Some(_) => return None,
            None => Path::new(&var("HOME")?).join(".config"),
        },
    };
    Some(config_dir.join("doctl").join(CONFIG_FILE_NAME))
}

/// Reads and parses a doctl config file. A file that can't be read or parsed is an
/// `InvalidArgument("doctl_config")` naming the path (never the contents).
pub fn read(path: &Path) -> Result<DoctlConfig> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::invalid(
            "doctl_config",
            format!("cannot read the doctl config file {}: {e}", path.display()),
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::invalid(
            "doctl_config",
            format!("the doctl config file {} is not UTF-8", path.display()),
        )
    })?;
    parse(&text).map_err(|e| match e {
        Error::InvalidArgument { param, kind, message } => Error::InvalidArgument {
            param,
            kind,
            message: format!("doctl config file {}: {message}", path.display()),
        },
        other => other,
    })
}

impl DoctlConfig {
    /// The token of `context` (`None` or empty: the config's `context`, else `default`, as doctl does when
    /// `--context` isn't given; `default`: the top-level `access-token`). Names are case-insensitive. An unknown context is an error naming the known ones.
    pub fn token_for(&self, context: Option<&str>) -> Result<ApiKey> {
        let wanted = context
            .filter(|c| !c.trim().is_empty())
            .map(str::to_owned)
            .or_else(|| self.current.clone())
            .unwrap_or_else(|| DEFAULT_CONTEXT.to_owned())
            .trim()
            .to_lowercase();
        if wanted == DEFAULT_CONTEXT {
            return self.access_token.clone().ok_or_else(|| {
                Error::invalid(
                    "context",
                    format!(
                        "the doctl config has no access-token for the \"default\" context (known contexts: {})",
                        self.known().join(", ")
                    ),
                )
            });
        }
        self.contexts.get(&wanted).cloned().ok_or_else(|| {
            Error::invalid(
                "context",
                format!(
                    "unknown doctl context {wanted:?}; known contexts: {}",
                    self.known().join(", ")
                ),
            )
        })
    }

    /// Context names that have a token: `default` first when there is a top-level token, then the others.
    pub fn known(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(self.contexts.len() + 1);
        if self.access_token.is_some() {
            out.push(DEFAULT_CONTEXT.to_owned());
        }
        out.extend(self.contexts.keys().filter(|k| k.as_str() != DEFAULT_CONTEXT).cloned());
        if out.is_empty() {
            out.push("(none)".to_owned());
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------------- reader

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// A scalar; `None` for null (`~`, `null`, nothing).
    Scalar(Option<String>),
    Map(Vec<(String, Node, usize)>),
    /// Something we don't read (a sequence, a block scalar, a non-empty flow collection, an anchor or alias, a
    /// multi-line plain scalar); the `&'static str` says what.
    Unsupported(&'static str),
}

struct Line<'a> {
    no: usize,
    indent: usize,
    text: &'a str,
}

fn err(line: usize, what: impl std::fmt::Display) -> Error {
    Error::invalid("doctl_config", format!("line {line}: {what}"))
}

/// Removes a comment (`#` at the start or after a space, outside quotes) and trailing spaces.
fn strip_comment(s: &str) -> &str {
    let b = s.as_bytes();
    let (mut single, mut double, mut escaped) = (false, false, false);
    for (i, &c) in b.iter().enumerate() {
        if double {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                double = false;
            }
            continue;
        }
        if single {
            if c == b'\'' {
                single = false;
            }
            continue;
        }
        match c {
            b'"' if i == 0 || matches!(b[i - 1], b' ' | b':' | b'[' | b'{' | b',') => double = true,
            b'\'' if i == 0 || matches!(b[i - 1], b' ' | b':' | b'[' | b'{' | b',') => single = true,
            b'#' if i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t' => return s[..i].trim_end(),
            _ => {}
        }
    }
    s.trim_end()
}

fn lines(text: &str) -> Result<Vec<Line<'_>>> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let no = n + 1;
        let raw = if no == 1 {
            raw.trim_start_matches('\u{feff}')
        } else {
            raw
        };
        let body = raw.trim_start_matches(' ');
        let indent = raw.len() - body.len();
        if body.starts_with('\t') {
            return Err(err(no, "tabs are not allowed in YAML indentation"));
        }
        let body = strip_comment(body);
        if body.is_empty() {
            continue;
        }
        if indent == 0 && (body == "---" || body.starts_with("--- ") || body == "...") {
            if body == "---" || body.starts_with("--- ") {
                if !out.is_empty() {
                    return Err(err(no, "more than one YAML document"));
                }
                continue;
            }
            break;
        }
        if indent == 0 && body.starts_with('%') {
            continue; // %YAML / %TAG directive
        }
        out.push(Line { no, indent, text: body });
    }
    Ok(out)
}

/// Splits `key: value` (the key possibly quoted). `None` when the line isn't a mapping entry.
fn split_entry(text: &str) -> Option<(String, &str)> {
    let b = text.as_bytes();
    if matches!(b.first(), Some(b'"' | b'\'')) {
        let quote = b[0];
        let mut i = 1;
        while i < b.len() {
            if b[i] == b'\\' && quote == b'"' {
                i += 2;
                continue;
            }
            if b[i] == quote {
                if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                break;
            }
            i += 1;
        }
        let key = scalar(&text[..(i + 1).min(text.len())]).ok()??;
        let rest = text.get(i + 1..)?;
        let rest = rest.strip_prefix(':')?;
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return None;
        }
        return Some((key, rest.trim()));
    }
    // The first `: ` (or a final `:`) ends a plain key.
    let mut i = 0;
    while i < b.len() {
        if b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' ') {
            let key = text[..i].trim_end();
            if key.is_empty() {
                return None;
            }
            return Some((key.to_owned(), text[i + 1..].trim()));
        }
        i += 1;
    }
    None
}

/// A scalar written on one line: `Ok(None)` for null, `Err(what)` for shapes we don't read.
fn scalar(v: &str) -> std::result::Result<Option<String>, &'static str> {
    let v = v.trim();
    if v.is_empty() || v == "~" || v == "null" || v == "Null" || v == "NULL" {
        return Ok(None);
    }
    let b = v.as_bytes();
    match b[0] {
        b'\'' => {
            if b.len() < 2 || b[b.len() - 1] != b'\'' {
                return Err("an unterminated single-quoted string");
            }
            let inner = &v[1..v.len() - 1];
            if inner.replace("''", "").contains('\'') {
                return Err("a malformed single-quoted string");
            }
            Ok(Some(inner.replace("''", "'")))
        }
        b'"' => {
            if b.len() < 2 || b[b.len() - 1] != b'"' {
                return Err("an unterminated double-quoted string");
            }
            let inner = &v[1..v.len() - 1];
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => return Err("a malformed double-quoted string"),
                    '\\' => {
                        let e = chars.next().ok_or("a malformed double-quoted string")?;
                        match e {
                            '\\' => out.push('\\'),
                            '"' => out.push('"'),
                            '/' => out.push('/'),
                            'n' => out.push('\n'),
                            't' => out.push('\t'),
                            'r' => out.push('\r'),
                            '0' => out.push('\0'),
                            ' ' => out.push(' '),
                            'x' | 'u' | 'U' => {
                                let n = match e {
                                    'x' => 2,
                                    'u' => 4,
                                    _ => 8,
                                };
                                let hex: String = chars.by_ref().take(n).collect();
                                let code = u32::from_str_radix(&hex, 16).map_err(|_| "a bad escape")?;
                                out.push(char::from_u32(code).ok_or("a bad escape")?);
                            }
                            _ => return Err("an unsupported escape"),
                        }
                    }
                    other => out.push(other),
                }
            }
            Ok(Some(out))
        }
        b'&' | b'*' => Err("an anchor or alias"),
        b'!' => Err("a YAML tag"),
        b'|' | b'>' => Err("a block scalar"),
        b'[' | b'{' => Err("a flow collection"),
        b'@' | b'`' => Err("a reserved indicator"),
        _ => Ok(Some(v.to_owned())),
    }
}

/// The lines from `*pos` indented more than `parent`, as a mapping (or an unsupported shape).
fn block(ls: &[Line<'_>], pos: &mut usize, parent: Option<usize>) -> Result<Node> {
    let Some(first) = ls.get(*pos) else {
        return Ok(Node::Scalar(None));
    };
    let indent = first.indent;
    let mut entries: Vec<(String, Node, usize)> = Vec::new();
    while let Some(line) = ls.get(*pos) {
        if parent.is_some_and(|p| line.indent <= p) {
            break;
        }
        if line.indent != indent {
            return Err(err(line.no, "inconsistent indentation"));
        }
        if line.text == "-" || line.text.starts_with("- ") {
            return Err(err(line.no, "a list where a mapping was expected"));
        }
        let Some((key, value)) = split_entry(line.text) else {
            return Err(err(line.no, "expected `key: value`"));
        };
        let no = line.no;
        *pos += 1;
        let next = ls.get(*pos);
        let deeper = next.is_some_and(|n| n.indent > indent);
        let seq_here = next.is_some_and(|n| n.indent == indent && (n.text == "-" || n.text.starts_with("- ")));
        let node = if value.is_empty() {
            if seq_here {
                skip(ls, pos, indent, true);
                Node::Unsupported("a list")
            } else if deeper {
                let n = ls[*pos].text;
                if n == "-" || n.starts_with("- ") {
                    skip(ls, pos, indent, false);
                    Node::Unsupported("a list")
                } else {
                    block(ls, pos, Some(indent))?
                }
            } else {
                Node::Scalar(None)
            }
        } else {
            let node = match value {
                "{}" => Node::Map(Vec::new()),
                "[]" => Node::Unsupported("a list"),
                _ => match scalar(value) {
                    Ok(s) => Node::Scalar(s),
                    Err(what) => Node::Unsupported(what),
                },
            };
            if deeper {
                // A block scalar's lines, or a plain scalar continued on the next lines.
                skip(ls, pos, indent, false);
                match node {
                    Node::Scalar(_) => Node::Unsupported("a multi-line value"),
                    other => other,
                }
            } else {
                node
            }
        };
        if entries.iter().any(|(k, _, _)| k.eq_ignore_ascii_case(&key)) {
            return Err(err(no, format!("the key {key:?} appears twice")));
        }
        entries.push((key, node, no));
    }
    Ok(Node::Map(entries))
}

/// Skips the lines that belong to the value of a key at `indent` (deeper lines, and same-indent `- ` lines
/// when `seq_at_same_indent`).
fn skip(ls: &[Line<'_>], pos: &mut usize, indent: usize, seq_at_same_indent: bool) {
    while let Some(l) = ls.get(*pos) {
        let item = l.text == "-" || l.text.starts_with("- ");
        if l.indent > indent || (seq_at_same_indent && l.indent == indent && item) {
            *pos += 1;
        } else {
            break;
        }
    }
}

/// Parses the text of a doctl config file.
pub fn parse(text: &str) -> Result<DoctlConfig> {
    let ls = lines(text)?;
    if ls.is_empty() {
        return Ok(DoctlConfig::default());
    }
    if ls[0].indent != 0 {
        return Err(err(ls[0].no, "the top level must not be indented"));
    }
    let mut pos = 0;
    let root = block(&ls, &mut pos, None)?;
    if let Some(l) = ls.get(pos) {
        return Err(err(l.no, "unexpected indentation"));
    }
    let Node::Map(entries) = root else {
        return Err(err(1, "expected a mapping"));
    };
    let mut cfg = DoctlConfig::default();
    for (key, node, no) in entries {
        match key.to_ascii_lowercase().as_str() {
            "access-token" => match node {
                Node::Scalar(v) => cfg.access_token = v.filter(|t| !t.trim().is_empty()).map(ApiKey::new),
                Node::Map(_) => return Err(err(no, "access-token must be a string, not a mapping")),
                Node::Unsupported(what) => return Err(err(no, format!("access-token is {what}, not a string"))),
            },
            "context" => match node {
                Node::Scalar(v) => cfg.current = v.map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty()),
                Node::Map(_) => return Err(err(no, "context must be a string, not a mapping")),
                Node::Unsupported(what) => return Err(err(no, format!("context is {what}, not a string"))),
            },
            "auth-contexts" => match node {
                Node::Scalar(None) => {}
                Node::Map(items) => {
                    for (name, value, line) in items {
                        match value {
                            Node::Scalar(Some(token)) if !token.trim().is_empty() => {
                                cfg.contexts.insert(name.to_lowercase(), ApiKey::new(token));
                            }
                            Node::Scalar(_) => {}
                            Node::Map(_) => {
                                return Err(err(
                                    line,
                                    format!("auth-contexts.{name} must be a token, not a mapping"),
                                ))
                            }
                            Node::Unsupported(what) => {
                                return Err(err(line, format!("auth-contexts.{name} is {what}, not a token")))
                            }
                        }
                    }
                }
                Node::Scalar(Some(_)) => return Err(err(no, "auth-contexts must be a mapping of name: token")),
                Node::Unsupported(what) => {
                    return Err(err(
                        no,
                        format!("auth-contexts is {what}, not a mapping of name: token"),
                    ))
                }
            },
            _ => {}
        }
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "dop_v1_0123456789abcdef";

    /// What `doctl auth init` + `auth switch` write (viper's AllSettings through yaml.v2/v3), trimmed.
    const REAL: &str = "\
access-token: dop_v1_0123456789abcdef
apps:
  dev:
    config:
      set:
        dev-config: \"\"
auth-contexts:
  Work: 'dop_v1_work''s'
  personal: \"dop_v1_pers\\u00e9\"
  empty: \"\"
compute:
  ssh:
    ssh-agent-forwarding: false
    ssh-key-path: /home/me/.ssh/id_rsa   # a comment
    ssh-port: 22
  droplet:
    tag-names: []
    regions:
    - nyc1
    - sfo3
    list:
      - a
      - b
context: work
help: |
  line one
  line two
http-retry-max: 5
output: text
";

    #[test]
    fn reads_what_doctl_writes() {
        let cfg = parse(REAL).unwrap();
        assert_eq!(cfg.access_token.as_ref().unwrap().expose(), SECRET);
        assert_eq!(cfg.current.as_deref(), Some("work"));
        assert_eq!(cfg.contexts.keys().collect::<Vec<_>>(), ["personal", "work"]);
        assert_eq!(cfg.contexts["work"].expose(), "dop_v1_work's");
        assert_eq!(cfg.contexts["personal"].expose(), "dop_v1_persé");
        assert_eq!(cfg.token_for(None).unwrap().expose(), "dop_v1_work's");
        assert_eq!(cfg.token_for(Some(" ")).unwrap().expose(), "dop_v1_work's");
        assert_eq!(cfg.token_for(Some("default")).unwrap().expose(), SECRET);
        assert_eq!(cfg.token_for(Some("Personal")).unwrap().expose(), "dop_v1_persé");
        let err = cfg.token_for(Some("nope")).unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown doctl context \"nope\"; known contexts: default, personal, work"
        );
        assert!(!format!("{cfg:?}").contains("dop_v1"));
    }

    #[test]
    fn defaults_and_empty_files() {
        let cfg = parse("").unwrap();
        assert_eq!(cfg, DoctlConfig::default());
        assert!(cfg.token_for(None).unwrap_err().to_string().contains("no access-token"));
        let cfg = parse("---\naccess-token: abc\nauth-contexts: {}\ncontext: default\n...\n").unwrap();
        assert_eq!(cfg.token_for(None).unwrap().expose(), "abc");
        let cfg = parse("access-token: \"\"\nauth-contexts:\ncontext:\n").unwrap();
        assert!(cfg.access_token.is_none() && cfg.contexts.is_empty() && cfg.current.is_none());
        let cfg = parse("auth-contexts:\n  a: t1\n").unwrap();
        assert!(cfg
            .token_for(None)
            .unwrap_err()
            .to_string()
            .contains("known contexts: a"));
    }

    #[test]
    fn errors_never_show_values() {
        let cases = [
            format!("access-token: |\n  {SECRET}\n"),
            format!("access-token:\n  - {SECRET}\n"),
            format!("access-token: [{SECRET}]\n"),
            format!("auth-contexts: {SECRET}\n"),
            format!("auth-contexts:\n  w:\n    x: {SECRET}\n"),
            format!("auth-contexts:\n  w: &a {SECRET}\n"),
            format!("access-token: {SECRET}\n  {SECRET}\n"),
            format!("access-token: \"{SECRET}\n"),
            format!("{SECRET}\n"),
            format!("access-token: {SECRET}\naccess-token: {SECRET}\n"),
            format!("a:\n    b: 1\n  c: {SECRET}\n"),
            format!("\taccess-token: {SECRET}\n"),
            format!("  access-token: {SECRET}\n"),
        ];
        for text in cases {
            let e = parse(&text).unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with("line "), "{text:?}: {msg}");
            assert!(
                !msg.contains("dop_v1") && !msg.contains("0123"),
                "{text:?} leaks: {msg}"
            );
        }
        let e = parse("access-token: |\n  x\n").unwrap_err().to_string();
        assert_eq!(e, "line 1: access-token is a block scalar, not a string");
    }

    #[test]
    fn reads_files() {
        let dir = std::env::temp_dir().join(format!("gradientai-doctl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.yaml");
        std::fs::write(&path, "access-token: tok\nauth-contexts:\n  b: \"x\n").unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(e.starts_with("doctl config file ") && e.contains("line 3"), "{e}");
        std::fs::write(&path, "access-token: tok # trailing\n").unwrap();
        assert_eq!(read(&path).unwrap().token_for(None).unwrap().expose(), "tok");
        let e = read(&dir.join("missing.yaml")).unwrap_err().to_string();
        assert!(e.contains("cannot read the doctl config file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn default_paths() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
        };
        let p = |os: &str, pairs: &'static [(&'static str, &'static str)]| default_config_path_for(os, env(pairs));
        assert_eq!(
            p("linux", &[("HOME", "/home/me")]),
            Some(PathBuf::from("/home/me/.config/doctl/config.yaml"))
        );
        assert_eq!(
            p("linux", &[("HOME", "/home/me"), ("XDG_CONFIG_HOME", "/xdg")]),
            Some(PathBuf::from("/xdg/doctl/config.yaml"))
        );
        assert_eq!(p("linux", &[("HOME", "/home/me"), ("XDG_CONFIG_HOME", "rel")]), None);
        assert_eq!(
            p("linux", &[("HOME", "/home/me"), ("XDG_CONFIG_HOME", "")]).unwrap(),
            PathBuf::from("/home/me/.config/doctl/config.yaml")
        );
        assert_eq!(p("linux", &[]), None);
        assert_eq!(
            p("macos", &[("HOME", "/Users/me"), ("XDG_CONFIG_HOME", "/xdg")]),
            Some(PathBuf::from("/Users/me/Library/Application Support/doctl/config.yaml"))
        );
        assert_eq!(
            p("windows", &[("AppData", r"C:\Users\me\AppData\Roaming")]),
            Some(
                Path::new(r"C:\Users\me\AppData\Roaming")
                    .join("doctl")
                    .join("config.yaml")
            )
        );
        assert_eq!(p("windows", &[]), None);
        assert_eq!(
            p(
                "linux",
                &[("HOME", "/home/me"), ("DIGITALOCEAN_CONFIG", "/etc/do.yaml")]
            ),
            Some(PathBuf::from("/etc/do.yaml"))
        );
    }
}
