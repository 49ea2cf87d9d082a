//! Core diagnostics: plain data with byte ranges. Conversion to rows, columns and encodings
//! happens at the edges (`output/`, `locator`).

use std::fmt;

/// Index of a file in the [`crate::Snapshot`].
pub type FileId = usize;

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

thread_local! {
    /// The file whose facts are being read back from the on-disk cache (see [`Span`]'s
    /// `Deserialize`).
    static FACTS_FILE: std::cell::Cell<FileId> = const { std::cell::Cell::new(0) };
    /// Spans are serialised as nothing (see [`without_spans`]).
    static SPANLESS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f` (which serialises facts) with every span written as nothing: what the facts say
/// apart from where (the language server compares two versions of a file whose definitions
/// may only have moved).
pub fn without_spans<T>(f: impl FnOnce() -> T) -> T {
    let before = SPANLESS.with(|c| c.replace(true));
    let out = f();
    SPANLESS.with(|c| c.set(before));
    out
}

/// Run `f` (which deserialises one file's facts) with the spans it reads belonging to `file`.
pub fn with_facts_file<T>(file: FileId, f: impl FnOnce() -> T) -> T {
    let before = FACTS_FILE.with(|c| c.replace(file));
    let out = f();
    FACTS_FILE.with(|c| c.set(before));
    out
}

/// A span is serialised only as part of one file's facts (the on-disk facts cache), whose spans
/// all lie in that file: it is written as its byte range, and read back into the file being
/// read ([`with_facts_file`]), so cached facts stay valid when file ids shift.
impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if SPANLESS.with(|c| c.get()) {
            return ().serialize(s);
        }
        (self.start, self.end).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        let (start, end) = <(u32, u32)>::deserialize(d)?;
        Ok(Span::new(FACTS_FILE.with(|c| c.get()), start, end))
    }
}

impl Span {
    pub fn new(file: FileId, start: u32, end: u32) -> Self {
        Span { file, start, end }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    DisplayOnly,
    Unsafe,
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub content: String,
}

/// A file a fix creates: `path` relative to the project root, which must not exist yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFile {
    pub path: String,
    pub content: String,
}

/// What a fix does: `edits` change existing files, `creates` adds new ones (a fix may do both).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    pub message: String,
    pub edits: Vec<Edit>,
    pub creates: Vec<NewFile>,
}

impl Fix {
    /// Whether the fix changes nothing at all.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty() && self.creates.is_empty()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
    pub notes: Vec<String>,
    pub fix: Option<Fix>,
    pub severity: Severity,
    /// Other places the diagnostic is about (shown by editors as related information).
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn new(rule: &crate::registry::Rule, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code: rule.code,
            name: rule.name,
            message: message.into(),
            span,
            help: None,
            notes: Vec::new(),
            fix: None,
            severity: Severity::Error,
            related: Vec::new(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_related(mut self, related: Vec<(Span, String)>) -> Self {
        self.related = related;
        self
    }

    pub fn with_fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}
