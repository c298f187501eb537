//! Response parsing: a body into a JSON value tree later steps read (`${data.NAME.field}`),
//! by the webhook's [`ResponseParsing`] mode, and JSON Pointer look-ups into such a tree.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use serde_json::{Map, Value};

use crate::model::ResponseParsing;
use crate::trace::{StepError, body_text};

/// A body that could not be parsed; the message names the position when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// E.g. "invalid JSON at line 3 column 7: expected `,` or `}`".
    pub message: String,
}

impl ParseError {
    fn new(message: impl Into<String>) -> Self {
        ParseError {
            message: message.into(),
        }
    }
}

impl From<&ParseError> for StepError {
    fn from(e: &ParseError) -> Self {
        StepError {
            kind: "parse".to_string(),
            message: e.message.clone(),
        }
    }
}

impl From<ParseError> for StepError {
    fn from(e: ParseError) -> Self {
        StepError::from(&e)
    }
}

/// Parses a response body by mode.
///
/// - `Json`: any JSON value; an empty (or all-whitespace) body gives `null`.
/// - `Xml`: `{ "<root>": <element> }`, see [`parse_xml`]; an empty body gives `null`.
/// - `Text`: the body as a string (lossy UTF-8).
/// - `Custom`: the named groups of the first match, `{ "group": "matched text" }`
///   (a group that took no part in the match is `null`).
pub fn parse_response(mode: &ResponseParsing, body: &[u8]) -> Result<Value, ParseError> {
    match mode {
        ResponseParsing::Json => parse_json(body),
        ResponseParsing::Xml => {
            if is_blank(body) {
                Ok(Value::Null)
            } else {
                parse_xml(body)
            }
        }
        ResponseParsing::Text => Ok(Value::String(body_text(body).into_owned())),
        ResponseParsing::Custom { pattern } => parse_custom(pattern, body),
    }
}

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

fn parse_json(body: &[u8]) -> Result<Value, ParseError> {
    if is_blank(body) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        if e.line() == 0 {
            return ParseError::new(format!("invalid JSON: {text}"));
        }
        // serde_json appends " at line L column C"; say the position first instead.
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let what = text.strip_suffix(&suffix).unwrap_or(&text);
        ParseError::new(format!(
            "invalid JSON at line {} column {}: {what}",
            e.line(),
            e.column()
        ))
    })
}

/// Checks that a custom parsing pattern compiles (for validation before a run).
pub fn check_pattern(pattern: &str) -> Result<(), ParseError> {
    regex::Regex::new(pattern)
        .map(|_| ())
        .map_err(|e| ParseError::new(format!("invalid pattern `{pattern}`: {e}")))
}

/// Most compiled custom patterns kept; past it the cache starts over.
const PATTERN_CACHE_LIMIT: usize = 256;

/// A custom pattern, compiled once per process rather than at every response.
fn compiled(pattern: &str) -> Result<Arc<regex::Regex>, ParseError> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<regex::Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    // A panic elsewhere while the lock was held leaves a map that is still valid.
    let cached = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(pattern)
        .cloned();
    if let Some(re) = cached {
        return Ok(re);
    }
    let re = Arc::new(
        regex::Regex::new(pattern)
            .map_err(|e| ParseError::new(format!("invalid pattern `{pattern}`: {e}")))?,
    );
    let mut map = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if map.len() >= PATTERN_CACHE_LIMIT {
        map.clear();
    }
    map.insert(pattern.to_string(), re.clone());
    Ok(re)
}

fn parse_custom(pattern: &str, body: &[u8]) -> Result<Value, ParseError> {
    let re = compiled(pattern)?;
    let text = body_text(body);
    let caps = re.captures(&text).ok_or_else(|| {
        ParseError::new(format!("pattern `{pattern}` did not match the response"))
    })?;
    let mut out = Map::new();
    for name in re.capture_names().flatten() {
        let value = caps
            .name(name)
            .map_or(Value::Null, |m| Value::String(m.as_str().to_string()));
        out.insert(name.to_string(), value);
    }
    Ok(Value::Object(out))
}

/// An element being read.
struct Frame {
    name: String,
    attrs: Map<String, Value>,
    children: Map<String, Value>,
    has_children: bool,
    text: String,
}

impl Frame {
    fn open(start: &BytesStart<'_>, pos: u64) -> Result<Frame, ParseError> {
        let name = start.name().as_ref().to_string();
        let mut attrs = Map::new();
        let tag_error =
            |e: &dyn std::fmt::Display| xml_error(pos, &format!("in the start tag <{name}>: {e}"));
        for attr in start.attributes() {
            let attr = attr.map_err(|e| tag_error(&e))?;
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| tag_error(&e))?;
            attrs.insert(
                format!("@{}", attr.key.as_ref()),
                Value::String(value.into_owned()),
            );
        }
        Ok(Frame {
            name,
            attrs,
            children: Map::new(),
            has_children: false,
            text: String::new(),
        })
    }

    fn add_child(&mut self, name: String, value: Value) {
        self.has_children = true;
        match self.children.get_mut(&name) {
            // Element values are strings or objects, so an array here is a repetition.
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                self.children.insert(name, value);
            }
        }
    }

    fn close(self) -> (String, Value) {
        let text = self.text.trim();
        if self.attrs.is_empty() && !self.has_children {
            return (self.name, Value::String(text.to_string()));
        }
        let mut obj = self.attrs;
        obj.extend(self.children);
        if !text.is_empty() {
            obj.insert("#text".to_string(), Value::String(text.to_string()));
        }
        (self.name, Value::Object(obj))
    }
}

/// The deepest element nesting read from a response, as serde_json limits JSON: deeper
/// documents are refused rather than turned into values too deep to print, store or drop.
pub const MAX_XML_DEPTH: usize = 128;

fn xml_error(pos: u64, e: &dyn std::fmt::Display) -> ParseError {
    ParseError::new(format!("invalid XML at byte {pos}: {e}"))
}

/// Parses an XML document into `{ "<root qname>": <element> }`.
///
/// An element is an object holding its attributes as `"@name"` (namespace declarations
/// too: `"@xmlns"`, `"@xmlns:p"`), its child elements by qualified name (`"soap:Body"`;
/// repeated children become an array in document order) and its text as `"#text"`
/// (CDATA and entities resolved, surrounding whitespace trimmed). An element with text
/// only becomes that string; an empty one without attributes becomes `""`.
pub fn parse_xml(body: &[u8]) -> Result<Value, ParseError> {
    let mut reader = Reader::from_reader(body);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.allow_unmatched_ends = false;
        config.allow_dangling_amp = false;
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<(String, Value)> = None;

    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| xml_error(reader.error_position(), &e))?;
        match event {
            Event::Start(start) => {
                if stack.is_empty() && root.is_some() {
                    return Err(xml_error(pos, &"more than one root element"));
                }
                if stack.len() == MAX_XML_DEPTH {
                    return Err(xml_error(
                        pos,
                        &format!("elements are nested more than {MAX_XML_DEPTH} deep"),
                    ));
                }
                stack.push(Frame::open(&start, pos)?);
            }
            Event::Empty(start) => {
                let frame = Frame::open(&start, pos)?;
                let (name, value) = frame.close();
                match stack.last_mut() {
                    Some(parent) => parent.add_child(name, value),
                    None if root.is_some() => {
                        return Err(xml_error(pos, &"more than one root element"));
                    }
                    None => root = Some((name, value)),
                }
            }
            Event::End(end) => {
                let Some(frame) = stack.pop() else {
                    return Err(xml_error(pos, &"end tag without a start tag"));
                };
                if end.name().as_ref() != frame.name {
                    return Err(xml_error(
                        pos,
                        &format!(
                            "expected </{}>, found </{}>",
                            frame.name,
                            end.name().as_ref()
                        ),
                    ));
                }
                let (name, value) = frame.close();
                match stack.last_mut() {
                    Some(parent) => parent.add_child(name, value),
                    None => root = Some((name, value)),
                }
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None => return Err(xml_error(pos, &"text outside the root element")),
                }
            }
            Event::CData(cdata) => match stack.last_mut() {
                Some(frame) => frame.text.push_str(&cdata),
                None => return Err(xml_error(pos, &"CDATA outside the root element")),
            },
            Event::GeneralRef(reference) => {
                let resolved: String = if reference.is_char_ref() {
                    match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => String::new(),
                        Err(e) => return Err(xml_error(pos, &e)),
                    }
                } else {
                    match resolve_predefined_entity(&reference) {
                        Some(s) => s.to_string(),
                        None => {
                            return Err(xml_error(
                                pos,
                                &format!("unknown entity `&{};`", &*reference),
                            ));
                        }
                    }
                };
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(&resolved),
                    None => return Err(xml_error(pos, &"entity outside the root element")),
                }
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }

    if let Some(open) = stack.last() {
        return Err(xml_error(
            reader.buffer_position(),
            &format!("element <{}> is not closed", open.name),
        ));
    }
    match root {
        Some((name, value)) => {
            let mut doc = Map::new();
            doc.insert(name, value);
            Ok(Value::Object(doc))
        }
        None => Err(ParseError::new("invalid XML: no root element")),
    }
}

/// Looks up an RFC 6901 JSON Pointer (`/items/0/id`; `""` is the whole value).
/// A pointer that is not valid is an error naming it; a path that leads nowhere is `None`.
pub fn pointer<'a>(value: &'a Value, ptr: &str) -> Result<Option<&'a Value>, ParseError> {
    let parsed = jsonptr::Pointer::parse(ptr)
        .map_err(|e| ParseError::new(format!("invalid JSON Pointer `{ptr}`: {e}")))?;
    Ok(parsed.resolve(value).ok())
}
