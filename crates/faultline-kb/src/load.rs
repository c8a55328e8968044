//! Reading known issues from TOML, with errors that name the file and line.

use std::fmt;
use std::path::Path;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::facts::{FactTest, number};
use crate::issue::{Combine, FactCondition, KnownIssue, LogMatcher, Severity};

/// The built-in knowledge base, one file per subject.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("xen.toml", include_str!("../kb/xen.toml")),
    ("vmware.toml", include_str!("../kb/vmware.toml")),
    ("storage.toml", include_str!("../kb/storage.toml")),
    ("memory.toml", include_str!("../kb/memory.toml")),
    ("lockups.toml", include_str!("../kb/lockups.toml")),
    ("panic.toml", include_str!("../kb/panic.toml")),
    ("clock.toml", include_str!("../kb/clock.toml")),
];

/// A knowledge-base file that could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct KbError {
    /// The file (or `built-in kb/NAME`).
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for KbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.origin, line, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    issue: Vec<RawIssue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssue {
    id: Spanned<String>,
    title: String,
    severity: String,
    explanation: String,
    #[serde(default)]
    evidence: Vec<String>,
    #[serde(default)]
    remediation: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    combine: Option<String>,
    #[serde(default)]
    logs: Vec<RawMatcher>,
    #[serde(default)]
    config: Vec<RawCondition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatcher {
    title: Option<String>,
    frame: Option<String>,
    #[serde(default)]
    kind: OneOrMany,
    #[serde(default)]
    event: OneOrMany,
    template: Option<String>,
    line: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Scalar::Text(s) => number(s),
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f) => Some(*f),
            Scalar::Bool(_) => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    fact: String,
    present: Option<bool>,
    missing: Option<bool>,
    equals: Option<Scalar>,
    not_equals: Option<Scalar>,
    one_of: Option<Vec<Scalar>>,
    not_one_of: Option<Vec<Scalar>>,
    matches: Option<String>,
    not_matches: Option<String>,
    above: Option<Scalar>,
    below: Option<Scalar>,
    at_least: Option<Scalar>,
    at_most: Option<Scalar>,
    recommended: Option<Scalar>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parses one TOML text of `[[issue]]` tables.
pub fn parse(text: &str, origin: &str) -> Result<Vec<KnownIssue>, KbError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| KbError {
        origin: origin.to_string(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    let mut issues: Vec<KnownIssue> = Vec::with_capacity(raw.issue.len());
    for r in raw.issue {
        let line = line_of(text, r.id.span().start);
        let err = |message: String| KbError {
            origin: origin.to_string(),
            line: Some(line),
            message,
        };
        let id = r.id.into_inner();
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(err(format!(
                "issue id {id:?}: use lowercase letters, digits and dashes"
            )));
        }
        let err = |message: String| err(format!("issue {id}: {message}"));
        if issues.iter().any(|i| i.id == id) {
            return Err(err("this id is used twice in the file".into()));
        }
        let severity: Severity = r.severity.parse().map_err(err)?;
        let combine = match r.combine.as_deref() {
            None | Some("any") => Combine::Any,
            Some("all") => Combine::All,
            Some(other) => return Err(err(format!("combine = {other:?}: use \"any\" or \"all\""))),
        };
        if r.logs.is_empty() && r.config.is_empty() {
            return Err(err(
                "matches nothing: give [[issue.logs]] or [[issue.config]]".into(),
            ));
        }
        if r.title.trim().is_empty() || r.explanation.trim().is_empty() {
            return Err(err("title and explanation must not be empty".into()));
        }
        let logs = r
            .logs
            .into_iter()
            .enumerate()
            .map(|(n, m)| matcher(m).map_err(|e| err(format!("logs #{}: {e}", n + 1))))
            .collect::<Result<Vec<_>, _>>()?;
        let config = r
            .config
            .into_iter()
            .enumerate()
            .map(|(n, c)| condition(c).map_err(|e| err(format!("config #{}: {e}", n + 1))))
            .collect::<Result<Vec<_>, _>>()?;
        issues.push(KnownIssue {
            id,
            title: r.title.trim().to_string(),
            severity,
            explanation: r.explanation.trim().to_string(),
            evidence: r.evidence,
            remediation: r.remediation,
            references: r.references,
            logs,
            config,
            combine,
            origin: origin.to_string(),
        });
    }
    Ok(issues)
}

fn regex(field: &str, pattern: Option<String>) -> Result<Option<Regex>, String> {
    pattern
        .map(|p| Regex::new(&p).map_err(|e| format!("{field}: bad regex: {e}")))
        .transpose()
}

fn matcher(m: RawMatcher) -> Result<LogMatcher, String> {
    let out = LogMatcher {
        title: regex("title", m.title)?,
        frame: regex("frame", m.frame)?,
        kind: m.kind.into_vec(),
        event: m.event.into_vec(),
        template: regex("template", m.template)?,
        line: regex("line", m.line)?,
    };
    let about_reports = out.title.is_some() || out.frame.is_some() || !out.kind.is_empty();
    let about_events = !out.event.is_empty() || out.template.is_some();
    if about_reports && about_events {
        return Err(
            "a matcher is about crash reports (title, frame, kind) or about events \
                    (event, template), not both: make two [[issue.logs]]"
                .into(),
        );
    }
    if !about_reports && !about_events && out.line.is_none() {
        return Err("empty matcher: give title, frame, kind, event, template or line".into());
    }
    Ok(out)
}

fn condition(c: RawCondition) -> Result<FactCondition, String> {
    let num = |name: &str, s: Scalar| {
        s.number()
            .ok_or_else(|| format!("{name} = {:?} is not a number", s.text()))
    };
    let texts = |v: Vec<Scalar>| v.iter().map(Scalar::text).collect::<Vec<_>>();
    let mut tests: Vec<FactTest> = Vec::new();
    match c.present {
        Some(true) => tests.push(FactTest::Present),
        Some(false) => tests.push(FactTest::Missing),
        None => {}
    }
    match c.missing {
        Some(true) => tests.push(FactTest::Missing),
        Some(false) => tests.push(FactTest::Present),
        None => {}
    }
    if let Some(v) = c.equals {
        tests.push(FactTest::Equals(v.text()));
    }
    if let Some(v) = c.not_equals {
        tests.push(FactTest::NotEquals(v.text()));
    }
    if let Some(v) = c.one_of {
        tests.push(FactTest::OneOf(texts(v)));
    }
    if let Some(v) = c.not_one_of {
        tests.push(FactTest::NotOneOf(texts(v)));
    }
    if let Some(p) = regex("matches", c.matches)? {
        tests.push(FactTest::Matches(p));
    }
    if let Some(p) = regex("not_matches", c.not_matches)? {
        tests.push(FactTest::NotMatches(p));
    }
    if let Some(v) = c.above {
        tests.push(FactTest::Above(num("above", v)?));
    }
    if let Some(v) = c.below {
        tests.push(FactTest::Below(num("below", v)?));
    }
    if let Some(v) = c.at_least {
        tests.push(FactTest::AtLeast(num("at_least", v)?));
    }
    if let Some(v) = c.at_most {
        tests.push(FactTest::AtMost(num("at_most", v)?));
    }
    if c.fact.trim().is_empty() {
        return Err("fact must name a fact".into());
    }
    if tests.len() != 1 {
        return Err(format!(
            "fact {:?}: give exactly one test (present, missing, equals, not_equals, one_of, \
             not_one_of, matches, not_matches, above, below, at_least, at_most), found {}",
            c.fact,
            tests.len()
        ));
    }
    Ok(FactCondition {
        fact: c.fact,
        test: tests.pop().expect("one test"),
        recommended: c.recommended.map(|s| s.text()),
    })
}

/// Every `*.toml` file of a folder, in name order; errors per file.
pub fn read_dir(dir: &Path) -> (Vec<KnownIssue>, Vec<KbError>) {
    let mut issues = Vec::new();
    let mut errors = Vec::new();
    let origin = dir.display().to_string();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(KbError {
                origin,
                line: None,
                message: format!("cannot read the knowledge-base folder: {e}"),
            });
            return (issues, errors);
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    for path in paths {
        let origin = path.display().to_string();
        let text = match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(KbError {
                        origin,
                        line: None,
                        message: format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
                    });
                    continue;
                }
            },
            Err(e) => {
                errors.push(KbError {
                    origin,
                    line: None,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        match parse(&text, &origin) {
            Ok(found) => issues.extend(found),
            Err(e) => errors.push(e),
        }
    }
    (issues, errors)
}
