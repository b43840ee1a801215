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
//! The file also holds every other doctl setting, nested by command (`compute:` → `ssh:` → ...), lists, etc.
//! The whole file is read as YAML by `saphyr-parser` (why that library, and the rules that bound the reading:
//! see "reader" below); everything but the three keys above is checked for syntax and duplicate keys, then
//! ignored. A value of those keys in a shape doctl doesn't write (a list, a mapping, a block scalar, an anchor or
//! alias, a tag, a value over several lines) is an error saying so. No error message ever contains a value from
//! the file, so a token can't leak; keys and line numbers are named instead.
//!
//! Like viper, keys are case-insensitive: context names are lower-cased (doctl lower-cases `--context` too).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use crate::core::config::ApiKey;
use crate::core::error::{Error, Result};
use crate::core::files;

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
    read_from(path, None)
}

/// [`read`], with where the path came from (`config_path`, `DIGITALOCEAN_CONFIG`) named in the errors. The file
/// is read by [`files::read_bounded`]: a regular file of at most [`files::MAX_LOCAL_FILE_BYTES`].
pub fn read_from(path: &Path, origin: Option<&str>) -> Result<DoctlConfig> {
    let named = match origin {
        Some(o) => format!("{} (from {o})", path.display()),
        None => path.display().to_string(),
    };
    let bytes = files::read_bounded(
        path,
        files::MAX_LOCAL_FILE_BYTES,
        "doctl_config",
        &format!("the doctl config file {named}"),
    )?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::invalid("doctl_config", format!("the doctl config file {named} is not UTF-8")))?;
    parse(&text).map_err(|e| match e {
        Error::InvalidArgument { param, kind, message } => Error::InvalidArgument {
            param,
            kind,
            message: format!("doctl config file {named}: {message}"),
        },
        other => other,
    })
}

impl DoctlConfig {
    /// The token of `context` (`None` or empty: the config's `context`, else `default`, as doctl does when
    /// `--context` isn't given; `default`: the top-level `access-token`). Names are case-insensitive. An unknown
    /// context is an error naming the known ones (a name that [`looks_like_token`] is shown by its length only).
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
                // The name may be a token pasted in the wrong place: `shown_name` shows only its length then.
                format!(
                    "unknown doctl context {}; known contexts: {}",
                    shown_name(&wanted),
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
        out.extend(
            self.contexts
                .keys()
                .filter(|k| k.as_str() != DEFAULT_CONTEXT)
                .map(|k| listed_name(k)),
        );
        if out.is_empty() {
            out.push("(none)".to_owned());
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------------- reader
//
// The YAML is read by `saphyr-parser` (https://crates.io/crates/saphyr-parser, MIT OR Apache-2.0), the event
// parser of the saphyr project (https://github.com/saphyr-rs/saphyr). Why this one, of the maintained
// libraries (checked December 2026):
// - it is the actively developed successor of yaml-rust2, by the same authors; yaml-rust2's README says it
//   "will receive only basic maintenance". It passes the YAML test suite, is pure Rust and has two small
//   dependencies (arraydeque, thiserror);
// - it is an event parser with an explicit state stack, not recursion, and gives each event its span (start and
//   end line), so the rules below can name lines without quoting values;
// - the `saphyr` loader on top of it, like serde_yaml_ng (a serde_yaml fork on unsafe-libyaml, MIT; serde_yaml
//   itself is deprecated), expands aliases into a tree, which is the billion-laughs problem (saphyr issue #109,
//   https://github.com/saphyr-rs/saphyr/pull/120 is still open). serde-saphyr has an alias budget but needs
//   Rust 1.89 (our MSRV is 1.88) and brings a much larger dependency tree.
//
// How the events are read ([`parse`]), and what that guarantees:
// - aliases are never expanded: an anchor or alias on a value we read is an error, one anywhere else is
//   skipped. So a "billion laughs" file costs its own size in time and memory, and fails when it touches a key
//   we read;
// - no recursion: open mappings and lists are a `Vec` of frames, so nesting depth costs heap, not stack (the
//   parser's own state is a `Vec` too);
// - duplicate keys (case-insensitive, as viper reads them) are found with one `HashSet` per open mapping: O(n);
// - the file is at most `files::MAX_LOCAL_FILE_BYTES` (16 MiB), read by `files::read_bounded`;
// - no message ever contains a value from the file: positions are line numbers, keys and context names go
//   through [`shown_name`], and the parser's own messages are passed on only when they quote nothing.

/// The value a node has for us, given where it is.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    /// The document's root: must be a mapping (or empty).
    Root,
    AccessToken,
    Context,
    AuthContexts,
    /// The token of `auth-contexts.<name>`.
    ContextToken(String),
    /// Anything else: read for syntax and duplicate keys, never kept.
    Ignored,
}

/// Where an open mapping is: the next node is a key, a key that is itself a mapping or list is open, or the next
/// node is the value of a key (with that value's role).
#[derive(Debug, Clone, PartialEq)]
enum MapState {
    Key,
    /// With the key's line, which errors about its value name.
    KeyOpen(Role, usize),
    Value(Role, usize),
}

/// An open mapping or list.
enum Frame {
    Map {
        role: Role,
        /// Lower-cased scalar keys seen so far.
        keys: std::collections::HashSet<String>,
        state: MapState,
    },
    Seq,
}

fn map(role: Role) -> Frame {
    Frame::Map {
        role,
        keys: Default::default(),
        state: MapState::Key,
    }
}

fn err(line: usize, what: impl std::fmt::Display) -> Error {
    Error::invalid("doctl_config", format!("line {line}: {what}"))
}

/// Whether `name` (a context name or a key, from the file or the caller) looks like a token rather than a name:
/// it starts like a DigitalOcean token (`dop_v1_`, `doo_v1_`, `dor_v1_`, ... any `do?_v1_`), or it is 32
/// characters or longer, or it is 16 or more hex digits, or 20 or more letters and digits with at least one of
/// each. Such a name is never shown in a message.
pub fn looks_like_token(name: &str) -> bool {
    let s = name.trim();
    let n = s.chars().count();
    let lower = s.to_ascii_lowercase();
    let b = lower.as_bytes();
    let do_prefix = b.len() >= 7 && b.starts_with(b"do") && &b[3..7] == b"_v1_";
    do_prefix
        || n >= 32
        || (n >= 16 && s.chars().all(|c| c.is_ascii_hexdigit()))
        || (n >= 20
            && s.chars().all(|c| c.is_ascii_alphanumeric())
            && s.chars().any(|c| c.is_ascii_digit())
            && s.chars().any(|c| c.is_ascii_alphabetic()))
}

/// `name` as a message may show it: quoted and escaped, or, when it [`looks_like_token`], only its length.
pub fn shown_name(name: &str) -> String {
    if looks_like_token(name) {
        format!(
            "<a {}-character name that looks like a token, not shown>",
            name.chars().count()
        )
    } else {
        format!("{name:?}")
    }
}

/// A context name in the list of known ones: as is, unless it needs quoting or looks like a token.
fn listed_name(name: &str) -> String {
    if !looks_like_token(name) && !name.is_empty() && name.chars().all(|c| !c.is_control() && c != ',') {
        name.to_owned()
    } else {
        shown_name(name)
    }
}

/// What an event that starts a node is, for a message; `None` for a plain or quoted scalar with no anchor or tag
/// (the only shape of a value we keep).
fn shape(event: &Event<'_>) -> Option<&'static str> {
    match event {
        Event::Alias(_) => Some("an anchor or alias"),
        Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) if *anchor != 0 => Some("an anchor or alias"),
        Event::SequenceStart(_, Some(_)) | Event::MappingStart(_, Some(_)) => Some("a YAML tag"),
        Event::SequenceStart(..) => Some("a list"),
        Event::MappingStart(..) => Some("a mapping"),
        Event::Scalar(_, _, anchor, _) if *anchor != 0 => Some("an anchor or alias"),
        Event::Scalar(_, _, _, Some(_)) => Some("a YAML tag"),
        Event::Scalar(_, ScalarStyle::Literal | ScalarStyle::Folded, _, _) => Some("a block scalar"),
        _ => None,
    }
}

/// A plain scalar's null spellings (YAML 1.2 core schema).
fn is_null(value: &str, style: ScalarStyle) -> bool {
    style == ScalarStyle::Plain && matches!(value, "" | "~" | "null" | "Null" | "NULL")
}

/// A one-line string value (`access-token`, `context`, a context's token): `Ok(None)` for null.
/// `line` is the key's.
fn string_value(event: &Event<'_>, span: &Span, line: usize, key: &str, expected: &str) -> Result<Option<String>> {
    if let Event::MappingStart(0, None) = event {
        return Err(err(line, format!("{key} must be {expected}, not a mapping")));
    }
    if let Some(what) = shape(event) {
        return Err(err(line, format!("{key} is {what}, not {expected}")));
    }
    let Event::Scalar(value, style, _, _) = event else {
        return Err(err(line, format!("{key} is not {expected}")));
    };
    if span.end.line() != span.start.line() {
        return Err(err(line, format!("{key} is a multi-line value, not {expected}")));
    }
    Ok((!is_null(value, *style)).then(|| value.to_string()))
}

/// A message of the YAML parser, when it quotes nothing from the file (some quote a character).
fn scan_error(e: &ScanError) -> Error {
    let info = e.info();
    let detail = if info.contains('`') || info.contains('\'') || info.contains('"') {
        "an unexpected character"
    } else {
        info
    };
    err(
        e.marker().line(),
        format!("not valid YAML ({detail}, column {})", e.marker().col() + 1),
    )
}

/// Parses the text of a doctl config file (see the reader's rules above).
pub fn parse(text: &str) -> Result<DoctlConfig> {
    let mut cfg = DoctlConfig::default();
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut documents = 0usize;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| scan_error(&e))?;
        let line = span.start.line();
        match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(err(line, "more than one YAML document"));
                }
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                // A mapping or list that was a key is closed: its value comes next.
                if let Some(Frame::Map { state, .. }) = stack.last_mut() {
                    if let MapState::KeyOpen(role, key_line) = state {
                        *state = MapState::Value(std::mem::replace(role, Role::Ignored), *key_line);
                    }
                }
                continue;
            }
            _ => {}
        }
        // A node starts: a scalar, an alias, a mapping or a list. Its role comes from its parent.
        let (role, line) = match stack.last_mut() {
            None => (Role::Root, line),
            Some(Frame::Seq) => (Role::Ignored, line),
            Some(Frame::Map {
                role: parent,
                keys,
                state,
            }) => match std::mem::replace(state, MapState::Key) {
                MapState::Value(role, key_line) => (role, key_line),
                MapState::KeyOpen(..) => (Role::Ignored, line), // unreachable: the open key is the top frame
                MapState::Key => {
                    // A key. Only a plain or quoted scalar key names something; any other key's value is ignored.
                    let role = match &event {
                        Event::Scalar(key, style, 0, None) if shape(&event).is_none() => {
                            let lower = key.to_ascii_lowercase();
                            if !keys.insert(lower.clone()) {
                                return Err(err(line, format!("the key {} appears twice", shown_name(key))));
                            }
                            match (&*parent, lower.as_str()) {
                                (Role::Root, "access-token") => Role::AccessToken,
                                (Role::Root, "context") => Role::Context,
                                (Role::Root, "auth-contexts") => Role::AuthContexts,
                                (Role::AuthContexts, _) if is_null(key, *style) => {
                                    return Err(err(line, "auth-contexts has an empty context name"))
                                }
                                (Role::AuthContexts, _) => Role::ContextToken(key.to_lowercase()),
                                _ => Role::Ignored,
                            }
                        }
                        _ if *parent == Role::AuthContexts => {
                            return Err(err(line, "auth-contexts has a key that is not a context name"))
                        }
                        _ => Role::Ignored,
                    };
                    *state = match &event {
                        Event::MappingStart(..) | Event::SequenceStart(..) => MapState::KeyOpen(role, line),
                        _ => MapState::Value(role, line),
                    };
                    open_ignored(&event, &mut stack);
                    continue;
                }
            },
        };
        match role {
            Role::Ignored => open_ignored(&event, &mut stack),
            Role::Root => match (&event, shape(&event)) {
                (Event::MappingStart(0, None), _) => {
                    if span.start.col() != 0 {
                        return Err(err(line, "the top level must not be indented"));
                    }
                    stack.push(map(Role::Root));
                }
                (Event::Scalar(v, style, _, _), None) if is_null(v, *style) => {}
                _ => return Err(err(line, "expected a mapping of doctl settings")),
            },
            Role::AccessToken => {
                let v = string_value(&event, &span, line, "access-token", "a string")?;
                cfg.access_token = v.filter(|t| !t.trim().is_empty()).map(ApiKey::new);
            }
            Role::Context => {
                let v = string_value(&event, &span, line, "context", "a string")?;
                cfg.current = v.map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty());
            }
            Role::ContextToken(name) => {
                let key = format!("auth-contexts.{}", listed_name(&name));
                if let Some(token) = string_value(&event, &span, line, &key, "a token")? {
                    if !token.trim().is_empty() {
                        cfg.contexts.insert(name, ApiKey::new(token));
                    }
                }
            }
            Role::AuthContexts => match (&event, shape(&event)) {
                (Event::MappingStart(0, None), _) => stack.push(map(Role::AuthContexts)),
                (Event::Scalar(v, style, _, _), None) if is_null(v, *style) => {}
                (Event::Scalar(..), None) => return Err(err(line, "auth-contexts must be a mapping of name: token")),
                (_, what) => {
                    return Err(err(
                        line,
                        format!(
                            "auth-contexts is {}, not a mapping of name: token",
                            what.unwrap_or("not a mapping")
                        ),
                    ))
                }
            },
        }
    }
    Ok(cfg)
}

/// A node we don't keep (or a key) starts: a mapping or list opens a frame, whose contents are read for syntax
/// and duplicate keys only; a scalar or an alias needs nothing (an alias is never followed).
fn open_ignored(event: &Event<'_>, stack: &mut Vec<Frame>) {
    match event {
        Event::MappingStart(..) => stack.push(map(Role::Ignored)),
        Event::SequenceStart(..) => stack.push(Frame::Seq),
        _ => {}
    }
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

    /// A "billion laughs" file: nine levels of nine aliases each, 9^9 (387 million) strings if expanded.
    fn laughs(tail: &str) -> String {
        let mut s = String::from("a0: &a0 \"lol\"\n");
        for i in 1..=9 {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            s.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        s.push_str(tail);
        s
    }

    #[test]
    fn aliases_are_never_expanded() {
        use std::time::{Duration, Instant};
        let t0 = Instant::now();
        // Where nothing reads them, anchors and aliases are skipped: the file is read at its own cost.
        let cfg = parse(&laughs("access-token: tok\n")).unwrap();
        assert_eq!(cfg.token_for(None).unwrap().expose(), "tok");
        // Where a value is read, an alias is refused, naming the line only.
        assert_eq!(
            parse(&laughs("access-token: *a9\n")).unwrap_err().to_string(),
            "line 11: access-token is an anchor or alias, not a string"
        );
        assert_eq!(
            parse(&laughs("auth-contexts: *a9\n")).unwrap_err().to_string(),
            "line 11: auth-contexts is an anchor or alias, not a mapping of name: token"
        );
        assert_eq!(
            parse(&laughs("auth-contexts:\n  w: *a9\n")).unwrap_err().to_string(),
            "line 12: auth-contexts.w is an anchor or alias, not a token"
        );
        assert_eq!(
            parse(&laughs("context: *a0\n")).unwrap_err().to_string(),
            "line 11: context is an anchor or alias, not a string"
        );
        // Expanding any of these would take minutes and gigabytes.
        assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    }

    /// `depth` mappings inside each other, block style (`a:` indented one more each line), then a token.
    fn nested_block(depth: usize) -> String {
        let mut s = String::new();
        for i in 0..depth {
            s.push_str(&" ".repeat(i));
            s.push_str("a:\n");
        }
        s.push_str(&" ".repeat(depth));
        s.push_str("b: 1\naccess-token: tok\n");
        s
    }

    #[test]
    fn deep_nesting_runs_on_a_128_kib_stack() {
        // musl's default thread stack is 128 KiB, and we ship musllinux wheels (issue 19, item 8).
        let texts = [
            nested_block(400),
            nested_block(5_000),
            format!("x: {}{}\naccess-token: tok\n", "[".repeat(250), "]".repeat(250)),
            format!("x: {}{}\naccess-token: tok\n", "{a: ".repeat(250), "}".repeat(250)),
            format!("auth-contexts: {}{}\n", "[".repeat(200), "]".repeat(200)),
            // The parser counts flow (`[`/`{`) levels in a byte: deeper is an error, not a crash.
            format!("x: {}{}\naccess-token: tok\n", "[".repeat(400), "]".repeat(400)),
            format!("x: {}{}\n", "{a: ".repeat(5_000), "}".repeat(5_000)),
        ];
        let results = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || {
                texts
                    .iter()
                    .map(|t| parse(t).map(|c| c.token_for(None).map(|k| k.expose().to_owned())))
                    .collect::<Vec<_>>()
            })
            .unwrap()
            .join()
            .expect("the parse overflowed a 128 KiB stack");
        for r in &results[..4] {
            assert_eq!(r.as_ref().unwrap().as_deref().unwrap(), "tok");
        }
        assert_eq!(
            results[4].as_ref().unwrap_err().to_string(),
            "line 1: auth-contexts is a list, not a mapping of name: token"
        );
        for r in &results[5..] {
            let e = r.as_ref().unwrap_err().to_string();
            assert!(e.starts_with("line 1: not valid YAML (recursion limit exceeded"), "{e}");
        }
    }

    #[test]
    fn duplicate_keys_are_found_in_linear_time() {
        use std::time::{Duration, Instant};
        // 300,000 keys in one mapping (about 5 MB): a pairwise comparison would be 4.5e10 steps.
        let n = 300_000;
        let mut text = String::with_capacity(n * 20);
        text.push_str("access-token: tok\nbig:\n");
        for i in 0..n {
            text.push_str(&format!("  key{i}: v\n"));
        }
        let t0 = Instant::now();
        assert_eq!(parse(&text).unwrap().token_for(None).unwrap().expose(), "tok");
        text.push_str("  KEY7: again\n");
        assert_eq!(
            parse(&text).unwrap_err().to_string(),
            format!("line {}: the key \"KEY7\" appears twice", n + 3)
        );
        // Keys are compared in every mapping, ignoring ASCII case like viper; the same key in two mappings is fine.
        assert!(parse("a:\n  k: 1\nb:\n  k: 1\n").is_ok());
        assert_eq!(
            parse("Access-Token: a\naccess-token: b\n").unwrap_err().to_string(),
            "line 2: the key \"access-token\" appears twice"
        );
        assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    }

    #[test]
    fn yaml_that_the_old_reader_refused_elsewhere_is_read() {
        // Flow mappings, complex keys and anchors outside the three keys, quoted keys, `---` and `...`.
        let cfg = parse(
            "---\n? [a, b]\n: c\nx: &x {y: [1, 2]}\nz: *x\n\"access-token\": 'tok'\nauth-contexts: {A: t1, b: ~}\n...\n",
        )
        .unwrap();
        assert_eq!(cfg.token_for(None).unwrap().expose(), "tok");
        assert_eq!(cfg.contexts.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(cfg.token_for(Some("a")).unwrap().expose(), "t1");
        // A UTF-8 byte-order mark is allowed; a second document is not.
        assert!(parse("\u{feff}access-token: t\n").is_ok());
        assert_eq!(
            parse("a: 1\n---\nb: 2\n").unwrap_err().to_string(),
            "line 2: more than one YAML document"
        );
    }

    #[test]
    fn names_that_look_like_tokens_are_not_shown() {
        let cfg = parse(&format!(
            "access-token: t\nauth-contexts:\n  work: t1\n  {SECRET}: t2\n"
        ))
        .unwrap();
        for pasted in [
            "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab",
            "DOO_V1_abc",
            "0123456789abcdef0123",
            "abcdefghij0123456789",
            "a-very-long-context-name-that-is-too-long",
        ] {
            let e = cfg.token_for(Some(pasted)).unwrap_err().to_string();
            assert!(!e.to_lowercase().contains(&pasted.to_lowercase()), "{e}");
            assert!(e.contains("looks like a token, not shown"), "{e}");
            assert!(!e.contains(SECRET), "{e}");
        }
        let e = cfg.token_for(Some("dop_v1_abc")).unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown doctl context <a 10-character name that looks like a token, not shown>; known contexts: \
             default, <a 23-character name that looks like a token, not shown>, work"
        );
        // Names are still shown when they look like names.
        for name in ["nope", "my-team", "prod_2024", "staging.eu"] {
            let e = cfg.token_for(Some(name)).unwrap_err().to_string();
            assert!(e.starts_with(&format!("unknown doctl context {name:?};")), "{e}");
        }
        assert!(looks_like_token(SECRET) && !looks_like_token("work") && !looks_like_token("do_v1"));
    }

    #[test]
    fn files_are_read_bounded() {
        use std::time::{Duration, Instant};
        let dir = std::env::temp_dir().join(format!("gradientai-doctl-bounded-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let t0 = Instant::now();
        // 45 MB (issue 19's example): refused from its size, without reading it.
        let big = dir.join("big.yaml");
        std::fs::File::create(&big).unwrap().set_len(45_000_000).unwrap();
        let e = read_from(&big, Some("DIGITALOCEAN_CONFIG")).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "cannot read the doctl config file {} (from DIGITALOCEAN_CONFIG): it is larger than 16 MiB, \
                 the limit for a local file",
                big.display()
            )
        );
        let e = read_from(&dir, Some("config_path")).unwrap_err().to_string();
        assert!(
            e.ends_with("(from config_path): it is a directory; only regular files are read"),
            "{e}"
        );
        #[cfg(unix)]
        {
            let e = read(Path::new("/dev/zero")).unwrap_err().to_string();
            assert!(
                e.ends_with("it is a character device; only regular files are read"),
                "{e}"
            );
            let fifo = dir.join("fifo");
            assert!(std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success());
            let e = read(&fifo).unwrap_err().to_string();
            assert!(
                e.ends_with("it is a FIFO (named pipe); only regular files are read"),
                "{e}"
            );
        }
        assert!(t0.elapsed() < Duration::from_secs(5));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
