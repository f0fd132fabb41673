//! A small spanned YAML tree built from `saphyr-parser` events.
//!
//! The blueprint is read into this tree first, so that the schema walker can report every
//! problem at once with an exact location. Building the tree ourselves (rather than letting a
//! serde deserializer stop at the first error) also lets us refuse hostile input early: aliases
//! (the "billion laughs" attack), documents nested deeper than [`MAX_DEPTH`], more than one
//! document, and input larger than [`MAX_INPUT_BYTES`].

use saphyr_parser::{Event, Parser, ScalarStyle};

/// Largest blueprint accepted, in bytes. Real blueprints are a few hundred kilobytes at most.
pub const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;
/// Deepest nesting of mappings and sequences accepted.
pub const MAX_DEPTH: usize = 64;

/// A location in the source: byte range plus 1-based line and column of its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column (in characters) of `start`.
    pub col: usize,
}

impl Span {
    /// Length in bytes (at least 1 so a label is always drawn).
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start).max(1)
    }

    /// Whether the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// One YAML node with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node is in the source.
    pub span: Span,
    /// What the node holds.
    pub kind: NodeKind,
}

/// The shapes a node can take.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar; `plain` is false for quoted and block scalars (always strings).
    Scalar { value: String, plain: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order (duplicates are kept so the schema can report them).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A short human name of the node's type, as used in "expected X, found Y".
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
            NodeKind::Scalar { plain: false, .. } => "a string",
            NodeKind::Scalar { value, plain: true } => match scalar_type(value) {
                PlainType::Null => "null",
                PlainType::Bool => "a boolean",
                PlainType::Int => "an integer",
                PlainType::Float => "a number",
                PlainType::Str => "a string",
            },
        }
    }

    /// The node as JSON (policy documents are written in YAML). Plain scalars follow the YAML 1.2
    /// core schema; quoted scalars are strings; mapping keys are their text.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Scalar { value, plain: false } => Value::String(value.clone()),
            NodeKind::Scalar { value, plain: true } => match scalar_type(value) {
                PlainType::Null => Value::Null,
                PlainType::Bool => Value::Bool(value.eq_ignore_ascii_case("true")),
                PlainType::Int => value.parse::<i64>().map_or_else(|_| Value::String(value.clone()), Value::from),
                PlainType::Float => value
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(value.clone()), Value::Number),
                PlainType::Str => Value::String(value.clone()),
            },
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match &k.kind {
                            NodeKind::Scalar { value, .. } => value.clone(),
                            _ => k.to_json().to_string(),
                        };
                        (key, v.to_json())
                    })
                    .collect(),
            ),
        }
    }

    /// Whether this is an explicit or implicit null.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { value, plain: true } if scalar_type(value) == PlainType::Null)
    }
}

/// YAML 1.2 core-schema type of a plain scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainType {
    /// `null`, `~` or empty.
    Null,
    /// `true` / `false`.
    Bool,
    /// A decimal, octal (`0o`) or hexadecimal (`0x`) integer.
    Int,
    /// A floating point number.
    Float,
    /// Anything else.
    Str,
}

/// Classifies a plain scalar by the YAML 1.2 core schema.
pub fn scalar_type(value: &str) -> PlainType {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return PlainType::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return PlainType::Bool,
        ".inf" | "-.inf" | "+.inf" | ".nan" | ".NaN" | ".NAN" => return PlainType::Float,
        _ => {}
    }
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return PlainType::Int;
    }
    if let Some(hex) = value.strip_prefix("0x")
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return PlainType::Int;
    }
    if let Some(oct) = value.strip_prefix("0o")
        && !oct.is_empty()
        && oct.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return PlainType::Int;
    }
    if value.parse::<f64>().is_ok() && value.bytes().any(|b| b.is_ascii_digit()) {
        return PlainType::Float;
    }
    PlainType::Str
}

/// Why a YAML text could not be turned into a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// What went wrong.
    pub message: String,
    /// Where.
    pub span: Span,
    /// How to fix it.
    pub help: Option<String>,
}

/// Maps the parser's character indices to byte offsets.
struct Offsets<'a> {
    src: &'a str,
    /// `None` when the source is ASCII (index == byte offset).
    table: Option<Vec<usize>>,
}

impl<'a> Offsets<'a> {
    fn new(src: &'a str) -> Self {
        let table = (!src.is_ascii()).then(|| {
            let mut t: Vec<usize> = src.char_indices().map(|(b, _)| b).collect();
            t.push(src.len());
            t
        });
        Offsets { src, table }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.src.len()),
            Some(t) => t.get(char_index).copied().unwrap_or(self.src.len()),
        }
    }

    fn span(&self, s: saphyr_parser::Span) -> Span {
        Span {
            start: self.byte(s.start.index()),
            end: self.byte(s.end.index()),
            line: s.start.line(),
            col: s.start.col() + 1,
        }
    }

    fn point(&self, m: saphyr_parser::Marker) -> Span {
        let b = self.byte(m.index());
        Span { start: b, end: b, line: m.line(), col: m.col() + 1 }
    }
}

/// A partially built collection on the parse stack.
enum Frame {
    Seq(Span, Vec<Node>),
    Map(Span, Vec<(Node, Node)>, Option<Node>),
}

/// Parses one YAML document into a [`Node`] tree.
///
/// Returns `Ok(None)` for an empty document. Rejects aliases, multiple documents, nesting deeper
/// than [`MAX_DEPTH`] and input over [`MAX_INPUT_BYTES`].
pub fn parse(src: &str) -> Result<Option<Node>, YamlError> {
    if src.len() > MAX_INPUT_BYTES {
        return Err(YamlError {
            message: format!(
                "blueprint is {} bytes, more than the {} bytes groundwork accepts",
                src.len(),
                MAX_INPUT_BYTES
            ),
            span: Span { start: 0, end: 0, line: 1, col: 1 },
            help: Some("a blueprint describes an organization; split generated data out of it".into()),
        });
    }
    let offsets = Offsets::new(src);
    let mut parser = Parser::new_from_str(src);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;

    while let Some(next) = parser.next_event() {
        let (event, raw_span) = next.map_err(|e| YamlError {
            message: format!("invalid YAML: {}", e.info()),
            span: offsets.point(*e.marker()),
            help: None,
        })?;
        let span = offsets.span(raw_span);
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => continue,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError {
                        message: "a blueprint file holds exactly one YAML document".into(),
                        span,
                        help: Some("remove the second `---` document or move it to its own file".into()),
                    });
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(YamlError {
                    message: "YAML aliases (`*name`) are not allowed in a blueprint".into(),
                    span,
                    help: Some(
                        "write the value out; aliases make blueprints hard to review and can expand without bound"
                            .into(),
                    ),
                });
            }
            Event::Scalar(value, style, _, _) => {
                Node { span, kind: NodeKind::Scalar { value: value.into_owned(), plain: style == ScalarStyle::Plain } }
            }
            Event::SequenceStart(_, _) | Event::MappingStart(_, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        message: format!("blueprint is nested more than {MAX_DEPTH} levels deep"),
                        span,
                        help: Some("no blueprint section needs this depth; is the file generated by mistake?".into()),
                    });
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq(span, Vec::new())
                } else {
                    Frame::Map(span, Vec::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(start, items)) => {
                    Node { span: Span { end: span.end.max(start.end), ..start }, kind: NodeKind::Seq(items) }
                }
                Some(Frame::Map(start, entries, _)) => {
                    Node { span: Span { end: span.end.max(start.end), ..start }, kind: NodeKind::Map(entries) }
                }
                None => continue,
            },
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_tree_with_positions() {
        let src = "a: 1\nb:\n  - x\n  - 'y'\n";
        let root = parse(src).unwrap().unwrap();
        let NodeKind::Map(entries) = &root.kind else { panic!("not a map") };
        assert_eq!(entries.len(), 2);
        let (k, v) = &entries[1];
        assert_eq!((k.span.line, k.span.col), (2, 1));
        let NodeKind::Seq(items) = &v.kind else { panic!("not a seq") };
        assert_eq!((items[1].span.line, items[1].span.col), (4, 5));
        assert_eq!(items[1].kind, NodeKind::Scalar { value: "y".into(), plain: false });
    }

    #[test]
    fn byte_offsets_with_multibyte_text() {
        let src = "name: \"é\"\nother: x\n";
        let root = parse(src).unwrap().unwrap();
        let NodeKind::Map(entries) = &root.kind else { panic!() };
        let (k, _) = &entries[1];
        assert_eq!(&src[k.span.start..k.span.end], "other");
    }

    #[test]
    fn rejects_aliases() {
        let err = parse("a: &x [1, 2]\nb: *x\n").unwrap_err();
        assert!(err.message.contains("aliases"), "{}", err.message);
        assert_eq!(err.span.line, 2);
    }

    #[test]
    fn rejects_deep_nesting() {
        let src = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let err = parse(&src).unwrap_err();
        assert!(err.message.contains("nested"), "{}", err.message);
    }

    #[test]
    fn rejects_second_document() {
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(err.message.contains("one YAML document"));
    }

    #[test]
    fn reports_syntax_errors_with_location() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.message.starts_with("invalid YAML"));
        assert!(err.span.line >= 1);
    }

    #[test]
    fn classifies_plain_scalars() {
        assert_eq!(scalar_type("12"), PlainType::Int);
        assert_eq!(scalar_type("true"), PlainType::Bool);
        assert_eq!(scalar_type("~"), PlainType::Null);
        assert_eq!(scalar_type("1.5"), PlainType::Float);
        assert_eq!(scalar_type("jira-prod"), PlainType::Str);
        assert_eq!(scalar_type("infinity"), PlainType::Str);
    }
}
