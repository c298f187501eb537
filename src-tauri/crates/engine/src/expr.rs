//! Expressions: `${event.email}`, `${data.WH5.promocode | default("none")}` and friends,
//! rendered by minijinja configured for `${ }`, with escaping chosen by where the value lands.
//!
//! - URL templates: interpolated values are percent-encoded (environment variables are
//!   trusted configuration and go in as written, so `${env.base_url}/users` works).
//! - JSON bodies: the template is parsed as JSON first and every string in it is rendered on
//!   its own, so a value can never leave its string or add keys. A string that is exactly one
//!   expression (`"${event.total}"`) keeps the value's JSON type.
//! - XML bodies: values are XML-escaped.
//! - Headers: values go in as written, but CR and LF are refused.
//!
//! An unknown variable is an error naming it, unless the `default` filter is used.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value as JinjaValue;

/// A template context ([`Scope::to_context`]), for callers that render with [`Expressions`].
pub type TemplateContext = JinjaValue;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde_json::Value;

use crate::model::Contact;

/// Characters percent-encoded in URL values: everything but RFC 3986 unreserved ones.
const URL_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Where a rendered value lands, which decides how it is escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Inserted as is (text bodies, query and form values that are encoded afterwards).
    Plain,
    /// Percent-encoded (URL templates).
    Url,
    /// XML-escaped (XML bodies).
    Xml,
    /// Inserted as is, but CR/LF are refused (header values).
    Header,
}

impl Escape {
    /// The prefix of the template name; the rest of the name is the template's source.
    fn prefix(self) -> &'static str {
        match self {
            Escape::Plain => "txt:",
            Escape::Url => "url:",
            Escape::Xml => "xml:",
            Escape::Header => "hdr:",
        }
    }
}

/// Why an expression could not be rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    /// The unknown variable, when that is the problem (`event.order.id`).
    pub variable: Option<String>,
    /// What went wrong, in words.
    pub message: String,
}

impl ExprError {
    fn new(message: impl Into<String>) -> Self {
        ExprError {
            variable: None,
            message: message.into(),
        }
    }
}

/// Everything an expression can read during one step of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scope {
    /// The event payload (`${event.…}`).
    pub event: Value,
    /// The contact (`${contact.…}`, `${contact.custom.…}`).
    pub contact: Contact,
    /// Parsed responses by webhook name (`${data.WH5.…}`).
    pub data: BTreeMap<String, Value>,
    /// The last response: `status`, `headers`, `body`, `time_ms` (`${response.status}`).
    pub response: Value,
    /// The run: `id`, `workflow` (`${run.id}`).
    pub run: Value,
    /// The last step error: `kind`, `message` (`${error.kind}`).
    pub error: Value,
    /// The active environment's variables (`${env.base_url}`).
    #[serde(skip)]
    pub env: BTreeMap<String, String>,
}

impl Scope {
    /// The scope as a template context. Build it once per step and reuse it for every field.
    pub fn to_context(&self) -> JinjaValue {
        let mut cache = ContextCache::default();
        cache.context(self)
    }

    /// One top-level variable of the context, converted for minijinja.
    fn part(&self, part: Part) -> JinjaValue {
        match part {
            Part::Event => JinjaValue::from_serialize(&self.event),
            Part::Contact => JinjaValue::from_serialize(&self.contact),
            Part::Data => JinjaValue::from_serialize(&self.data),
            Part::Response => JinjaValue::from_serialize(&self.response),
            Part::Run => JinjaValue::from_serialize(&self.run),
            Part::Error => JinjaValue::from_serialize(&self.error),
            Part::Env => {
                let env: BTreeMap<&str, JinjaValue> = self
                    .env
                    .iter()
                    .map(|(k, v)| (k.as_str(), JinjaValue::from_safe_string(v.clone())))
                    .collect();
                JinjaValue::from(env)
            }
        }
    }
}

/// A top-level variable of the template context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// `event`
    Event,
    /// `contact`
    Contact,
    /// `data`
    Data,
    /// `response`
    Response,
    /// `run`
    Run,
    /// `error`
    Error,
    /// `env`
    Env,
}

impl Part {
    const ALL: [Part; 7] = [
        Part::Event,
        Part::Contact,
        Part::Data,
        Part::Response,
        Part::Run,
        Part::Error,
        Part::Env,
    ];

    fn name(self) -> &'static str {
        match self {
            Part::Event => "event",
            Part::Contact => "contact",
            Part::Data => "data",
            Part::Response => "response",
            Part::Run => "run",
            Part::Error => "error",
            Part::Env => "env",
        }
    }
}

/// The template context of a run, kept between its steps: a top-level variable is converted
/// again only after the runner changed it (a response, a contact field), not at every step.
#[derive(Debug, Default)]
pub(crate) struct ContextCache {
    parts: [Option<JinjaValue>; 7],
    whole: Option<JinjaValue>,
}

impl ContextCache {
    /// Marks a variable as changed in the scope.
    pub(crate) fn invalidate(&mut self, part: Part) {
        self.parts[part as usize] = None;
        self.whole = None;
    }

    /// The context for `scope`, converting only the variables changed since the last call.
    pub(crate) fn context(&mut self, scope: &Scope) -> JinjaValue {
        if let Some(whole) = &self.whole {
            return whole.clone();
        }
        let root: BTreeMap<&str, JinjaValue> = Part::ALL
            .iter()
            .map(|&part| {
                let value = self.parts[part as usize].get_or_insert_with(|| scope.part(part));
                (part.name(), value.clone())
            })
            .collect();
        let whole = JinjaValue::from(root);
        self.whole = Some(whole.clone());
        whole
    }
}

/// The configured template engine. Create one and share it; it is cheap to use concurrently.
pub struct Expressions {
    env: Environment<'static>,
    /// JSON body templates taken apart once ([`JsonPlan`]), by source.
    json_plans: std::sync::RwLock<JsonPlans>,
}

/// [`Expressions::json_plans`]: hashed with foldhash, as a body template is a kilobyte or more.
type JsonPlans =
    std::collections::HashMap<String, std::sync::Arc<JsonPlan>, foldhash::fast::RandomState>;

impl Default for Expressions {
    fn default() -> Self {
        Self::new()
    }
}

impl Expressions {
    /// A template engine with `${ }` variables, strict undefined values and Hookboard's filters.
    pub fn new() -> Self {
        let mut env = Environment::new();
        if let Ok(syntax) = SyntaxConfig::builder()
            .variable_delimiters("${", "}")
            .block_delimiters("${%", "%}")
            .comment_delimiters("${#", "#}")
            .build()
        {
            env.set_syntax(syntax);
        }
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // A template's name is `<escape prefix>:<source>`: the loader hands the source back and
        // minijinja keeps every compiled template, so a template is parsed once, not per render.
        env.set_loader(|name| match name.split_once(':') {
            Some(("json", source)) => compile_json_template(source).map(Some),
            Some((_, source)) => Ok(Some(source.to_string())),
            None => Ok(None),
        });
        env.set_keep_trailing_newline(true);
        env.set_auto_escape_callback(|name| match name {
            name if name.starts_with("json:") => AutoEscape::Json,
            name if name.starts_with("url:") => AutoEscape::Custom("url"),
            name if name.starts_with("xml:") => AutoEscape::Custom("xml"),
            name if name.starts_with("jv:") => AutoEscape::Json,
            _ => AutoEscape::None,
        });
        env.set_formatter(|out, state, value| {
            match state.auto_escape() {
                // JSON bodies: the value as JSON (strings quoted and escaped, structures and
                // numbers keep their type), written straight into the output.
                AutoEscape::Json => {
                    if value.is_undefined() {
                        return Err(minijinja::Error::from(ErrorKind::UndefinedError));
                    }
                    // Strings, the most common values, without going through serde.
                    if let Some(text) = value.as_str() {
                        write_json_string(out, text)?;
                        return Ok(());
                    }
                    serde_json::to_writer(FmtWriter(out), value).map_err(|e| {
                        minijinja::Error::new(ErrorKind::BadSerialization, format!("not JSON: {e}"))
                    })?;
                }
                AutoEscape::Custom("url") => write_value(out, Escape::Url, value)?,
                AutoEscape::Custom("xml") => write_value(out, Escape::Xml, value)?,
                _ => write_value(out, Escape::Plain, value)?,
            }
            Ok(())
        });
        env.add_filter(
            "json",
            |value: JinjaValue| -> Result<String, minijinja::Error> {
                serde_json::to_string(&value).map_err(|e| {
                    minijinja::Error::new(ErrorKind::InvalidOperation, format!("json filter: {e}"))
                })
            },
        );
        env.add_filter("urlencode", |value: JinjaValue| {
            JinjaValue::from_safe_string(
                utf8_percent_encode(&display(&value), URL_VALUE).to_string(),
            )
        });
        env.add_filter("date", date_filter);
        env.add_filter("json_inner", |text: &str| {
            let mut out = String::with_capacity(text.len() + 8);
            // Writing into a String cannot fail.
            let _ = write_json_escaped(&mut out, text);
            out
        });
        env.add_filter(
            "typed_json",
            |value: JinjaValue| -> Result<String, minijinja::Error> {
                if value.is_undefined() {
                    return Err(minijinja::Error::new(
                        ErrorKind::UndefinedError,
                        "undefined value",
                    ));
                }
                serde_json::to_string(&value).map_err(|e| {
                    minijinja::Error::new(ErrorKind::InvalidOperation, format!("not JSON: {e}"))
                })
            },
        );
        Expressions {
            env,
            json_plans: std::sync::RwLock::default(),
        }
    }

    /// Renders a template to a string, escaping interpolated values for `escape`.
    pub fn render(
        &self,
        template: &str,
        ctx: &JinjaValue,
        escape: Escape,
    ) -> Result<String, ExprError> {
        if !template.contains("${") {
            return Ok(template.to_string());
        }
        let rendered = match render_paths(template, ctx, escape) {
            Some(rendered) => rendered,
            None => {
                let compiled = self.cached(escape.prefix(), template)?;
                compiled
                    .render(ctx)
                    .map_err(|e| render_error(&compiled, &e, template, ctx))?
            }
        };
        if escape == Escape::Header && (rendered.contains('\r') || rendered.contains('\n')) {
            return Err(ExprError::new(
                "a header value may not contain a line break (CR or LF)",
            ));
        }
        Ok(rendered)
    }

    /// Renders a JSON body template to JSON text. The template is parsed as JSON once and
    /// compiled into one template in which every string (key or value) is rendered on its own
    /// and JSON-escaped, so the output is always JSON with the template's structure. A string
    /// that is exactly one `${…}` keeps the value's JSON type.
    pub fn render_json_text(&self, template: &str, ctx: &JinjaValue) -> Result<String, ExprError> {
        if let Some(rendered) = self
            .json_plan(template)
            .and_then(|plan| self.render_json_plan(&plan, ctx))
        {
            return Ok(rendered);
        }
        let compiled = self.cached("json:", template)?;
        compiled
            .render(ctx)
            .map_err(|e| render_error(&compiled, &e, compiled.source(), ctx))
    }

    /// Renders a JSON body template ([`Expressions::render_json_text`]) to a value.
    pub fn render_json(&self, template: &str, ctx: &JinjaValue) -> Result<Value, ExprError> {
        let text = self.render_json_text(template, ctx)?;
        serde_json::from_str(&text)
            .map_err(|e| ExprError::new(format!("the rendered JSON body is not JSON: {e}")))
    }

    /// Evaluates a template to a JSON value: exactly one `${…}` keeps the value's type,
    /// anything else renders to a string.
    pub fn eval_value(&self, template: &str, ctx: &JinjaValue) -> Result<Value, ExprError> {
        if let Some(inner) = single_expression(template) {
            let source = format!("${{ ({inner}) | typed_json }}");
            let compiled = self.cached("val:", &source)?;
            let json = compiled
                .render(ctx)
                .map_err(|e| render_error(&compiled, &e, &source, ctx))?;
            return serde_json::from_str(&json)
                .map_err(|e| ExprError::new(format!("cannot convert `{inner}` to JSON: {e}")));
        }
        Ok(Value::String(self.render(template, ctx, Escape::Plain)?))
    }

    /// Evaluates a condition such as `${data.WH5.status} == "active"` (the `${ }` around
    /// variables is optional) to true or false.
    pub fn eval_condition(&self, condition: &str, ctx: &JinjaValue) -> Result<bool, ExprError> {
        let source = format!("${{ 1 if ({}) else 0 }}", unwrap_placeholders(condition));
        let compiled = self.cached("cond:", &source)?;
        let rendered = compiled
            .render(ctx)
            .map_err(|e| render_error(&compiled, &e, &source, ctx))?;
        Ok(rendered == "1")
    }

    /// Checks that a template compiles, without rendering it (used by validation).
    pub fn check_syntax(&self, template: &str) -> Result<(), ExprError> {
        if !template.contains("${") {
            return Ok(());
        }
        self.cached(Escape::Plain.prefix(), template).map(|_| ())
    }

    /// The compiled template for `source`, escaped as `prefix` says; compiled once, then cached.
    fn cached(&self, prefix: &str, source: &str) -> Result<minijinja::Template<'_, '_>, ExprError> {
        thread_local! {
            /// The name being looked up, reused: body templates make names of a kilobyte or more.
            static NAME: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        NAME.with_borrow_mut(|name| {
            name.clear();
            name.push_str(prefix);
            name.push_str(source);
            self.env.get_template(name)
        })
        .map_err(|e| to_expr_error(&e, source))
    }

    /// The plan of a JSON body template, made on first use; `None` when the template is not
    /// JSON (the template machine then reports where).
    fn json_plan(&self, template: &str) -> Option<std::sync::Arc<JsonPlan>> {
        let known = self
            .json_plans
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(template)
            .cloned();
        if known.is_some() {
            return known;
        }
        let plan = std::sync::Arc::new(JsonPlan::new(template)?);
        self.json_plans
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(template.to_string(), plan.clone());
        Some(plan)
    }

    /// Renders a [`JsonPlan`]: what the compiled JSON template renders, with plain variable
    /// paths looked up directly and every other expression rendered by the template machine,
    /// all of them in one template. `None` on any failure: the caller renders the whole
    /// template the usual way, which reports the error.
    fn render_json_plan(&self, plan: &JsonPlan, ctx: &JinjaValue) -> Option<String> {
        let rendered;
        let mut machine = match &plan.machine {
            Some(source) => {
                rendered = self.cached("jv:", source).ok()?.render(ctx).ok()?;
                rendered.split(MACHINE_END)
            }
            None => "".split(MACHINE_END),
        };
        let mut out = String::with_capacity(plan.size_hint);
        for piece in &plan.pieces {
            match piece {
                JsonPiece::Raw(text) => out.push_str(text),
                JsonPiece::Typed(path) => write_json_typed(
                    &mut out,
                    &lookup_path(path.iter().map(String::as_str), ctx)?,
                )
                .ok()?,
                JsonPiece::TextPath(path) => {
                    let value = lookup_path(path.iter().map(String::as_str), ctx)?;
                    write_json_escaped(&mut out, &display(&value)).ok()?;
                }
                JsonPiece::Machine => out.push_str(machine.next()?),
            }
        }
        // Every part of the machine's output was used, and nothing else came out of it.
        (machine.next() == Some("") && machine.next().is_none()).then_some(out)
    }

    /// Checks that a condition compiles, without evaluating it (used by validation).
    pub fn check_condition(&self, condition: &str) -> Result<(), ExprError> {
        let source = unwrap_placeholders(condition);
        self.env
            .compile_expression(&source)
            .map(|_| ())
            .map_err(|e| to_expr_error(&e, &source))
    }
}

/// Ends each output in [`JsonPlan::machine`]: JSON text never holds a raw NUL character.
const MACHINE_END: char = '\0';

/// A JSON body template taken apart: the JSON text the compiled template writes as is, the
/// plain variable paths it looks up, and one template for all its other expressions, in
/// order ([`walk_json_string`] says how each string is rendered).
#[derive(Debug)]
struct JsonPlan {
    pieces: Vec<JsonPiece>,
    /// The other expressions as one template, each output ended by [`MACHINE_END`].
    machine: Option<String>,
    /// The length of the JSON text without the values: a start for the output's capacity.
    size_hint: usize,
}

/// A part of a [`JsonPlan`].
#[derive(Debug)]
enum JsonPiece {
    /// JSON text written as is: structure, numbers, literal strings and parts of strings.
    Raw(String),
    /// A string value that is exactly one plain path (`"${event.total}"`): the value as JSON.
    Typed(Vec<String>),
    /// A plain path inside a string: the value as text, JSON-escaped.
    TextPath(Vec<String>),
    /// The next output of [`JsonPlan::machine`].
    Machine,
}

impl JsonPlan {
    /// The plan of `template`; `None` when it is not JSON, or has blocks or comments (a
    /// `${% set %}` in one string changes what later strings read: the template machine
    /// renders those).
    fn new(template: &str) -> Option<JsonPlan> {
        if template.contains("${%") || template.contains("${#") {
            return None;
        }
        let mut plan = JsonPlan {
            pieces: Vec::new(),
            machine: None,
            size_hint: 0,
        };
        walk_json_template(template, &mut plan).ok()?;
        plan.size_hint = plan
            .pieces
            .iter()
            .map(|piece| match piece {
                JsonPiece::Raw(text) => text.len(),
                _ => 16,
            })
            .sum();
        Some(plan)
    }

    /// Adds `source` to the machine's template.
    fn machine(&mut self, source: &str) {
        let machine = self.machine.get_or_insert_with(String::new);
        machine.push_str(source);
        machine.push(MACHINE_END);
        self.pieces.push(JsonPiece::Machine);
    }
}

impl JsonSink for JsonPlan {
    fn raw(&mut self, text: &str) {
        match self.pieces.last_mut() {
            Some(JsonPiece::Raw(last)) => last.push_str(text),
            _ => self.pieces.push(JsonPiece::Raw(text.to_string())),
        }
    }

    fn typed(&mut self, inner: &str) {
        match plain_path(inner) {
            Some(path) => self.pieces.push(JsonPiece::Typed(path)),
            None => self.machine(&typed_source(inner)),
        }
    }

    fn text(&mut self, text: &str) {
        let parts: Option<Vec<JsonPiece>> = segments(text)
            .map(|segment| match segment? {
                Segment::Literal(literal) => {
                    let mut escaped = String::with_capacity(literal.len());
                    // Writing into a String cannot fail.
                    let _ = write_json_escaped(&mut escaped, literal);
                    Some(JsonPiece::Raw(escaped))
                }
                Segment::Expression(expression) => plain_path(expression).map(JsonPiece::TextPath),
            })
            .collect();
        match parts {
            Some(parts) => {
                for part in parts {
                    match part {
                        JsonPiece::Raw(escaped) => self.raw(&escaped),
                        other => self.pieces.push(other),
                    }
                }
            }
            None => self.machine(&text_source(text)),
        }
    }
}

/// A part of a text template: literal text or the expression inside a `${…}`.
enum Segment<'a> {
    Literal(&'a str),
    Expression(&'a str),
}

/// The literal text and `${…}` expressions of `template`, in order; `None` for a `${` that is
/// never closed.
fn segments(template: &str) -> impl Iterator<Item = Option<Segment<'_>>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let at = rest.find("${").unwrap_or(rest.len());
        if at > 0 {
            let literal = &rest[..at];
            rest = &rest[at..];
            return Some(Some(Segment::Literal(literal)));
        }
        let after = &rest[2..];
        let Some(end) = after.find('}') else {
            rest = "";
            return Some(None);
        };
        rest = &after[end + 1..];
        Some(Some(Segment::Expression(&after[..end])))
    })
}

/// The names of a plain variable path (`contact.email`), as the template machine reads it;
/// `None` for anything else (filters, operators, literals, indexes).
fn plain_path(expression: &str) -> Option<Vec<String>> {
    let mut names = expression.trim().split('.');
    let first = names.next().filter(|n| is_variable_name(n))?;
    let mut path = vec![first.to_string()];
    for name in names {
        if !is_identifier(name) {
            return None;
        }
        path.push(name.to_string());
    }
    Some(path)
}

/// The value at a plain variable path given as its names, looked up as the template machine
/// does; `None` when the names are not a plain path or something on the way is missing.
fn lookup_path<'a>(
    mut names: impl Iterator<Item = &'a str>,
    ctx: &JinjaValue,
) -> Option<JinjaValue> {
    let mut value = ctx
        .get_attr(names.next().filter(|n| is_variable_name(n))?)
        .ok()?;
    for name in names {
        if !is_identifier(name) || value.is_undefined() {
            return None;
        }
        value = value.get_attr(name).ok()?;
    }
    (!value.is_undefined()).then_some(value)
}

/// Writes a value as the JSON body formatter does: strings quoted and escaped, structures
/// and numbers as JSON.
fn write_json_typed(out: &mut impl std::fmt::Write, value: &JinjaValue) -> std::fmt::Result {
    if let Some(text) = value.as_str() {
        return write_json_string(out, text);
    }
    let text = serde_json::to_string(value).map_err(|_| std::fmt::Error)?;
    out.write_str(&text)
}

/// Writes `text` as a JSON string literal.
fn write_json_string(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    out.write_char('"')?;
    write_json_escaped(out, text)?;
    out.write_char('"')
}

/// Compiles a JSON body template into one minijinja template (see
/// [`Expressions::render_json_text`]); invalid JSON is an error naming line and column.
fn compile_json_template(template: &str) -> Result<String, minijinja::Error> {
    let mut out = String::with_capacity(template.len() * 2);
    walk_json_template(template, &mut out).map_err(|e| {
        minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "the JSON body is not valid JSON at line {} column {}: {e}; put expressions inside strings, e.g. \"${{event.total}}\"",
                e.line(),
                e.column()
            ),
        )
    })?;
    Ok(out)
}

/// What a JSON body template is made of, as [`walk_json_template`] finds it: the compiled
/// template (a `String`) and the [`JsonPlan`] are both built from it.
trait JsonSink {
    /// JSON text written as is.
    fn raw(&mut self, text: &str);
    /// A string value that is exactly one `${…}` (the expression inside): the value as JSON.
    fn typed(&mut self, inner: &str);
    /// The content of a string (or key) of text and expressions: rendered as text, then
    /// JSON-escaped (the quotes around it are [`JsonSink::raw`]).
    fn text(&mut self, text: &str);
}

/// The compiled template: see [`Expressions::render_json_text`].
impl JsonSink for String {
    fn raw(&mut self, text: &str) {
        self.push_str(text);
    }

    fn typed(&mut self, inner: &str) {
        self.push_str(&typed_source(inner));
    }

    fn text(&mut self, text: &str) {
        self.push_str(&text_source(text));
    }
}

/// The template of a typed value (the JSON auto-escaping writes it as JSON).
fn typed_source(inner: &str) -> String {
    format!("${{ ({inner}) }}")
}

/// The template of a string's content: rendered as text, then JSON-escaped as a whole.
fn text_source(text: &str) -> String {
    format!(
        "${{% autoescape false %}}${{% filter json_inner %}}{text}${{% endfilter %}}${{% endautoescape %}}"
    )
}

/// Parses a JSON body template and hands its parts to `sink`, in order.
fn walk_json_template(template: &str, sink: &mut impl JsonSink) -> Result<(), serde_json::Error> {
    let skeleton: Value = serde_json::from_str(template)?;
    walk_json_value(&skeleton, sink);
    Ok(())
}

fn walk_json_value(value: &Value, sink: &mut impl JsonSink) {
    match value {
        Value::String(s) => walk_json_string(s, true, sink),
        Value::Array(items) => {
            sink.raw("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    sink.raw(",");
                }
                walk_json_value(item, sink);
            }
            sink.raw("]");
        }
        Value::Object(map) => {
            sink.raw("{");
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    sink.raw(",");
                }
                walk_json_string(key, false, sink);
                sink.raw(":");
                walk_json_value(item, sink);
            }
            sink.raw("}");
        }
        other => sink.raw(&other.to_string()),
    }
}

/// A JSON string of the body: literal text as a JSON string literal; exactly one expression
/// as a typed JSON value (unless it is a key: the template is rendered with JSON
/// auto-escaping, so the value is written as JSON); anything else rendered as text, then
/// JSON-escaped as a whole.
fn walk_json_string(text: &str, typed: bool, sink: &mut impl JsonSink) {
    if !text.contains("${") {
        sink.raw(&Value::String(text.to_string()).to_string());
    } else if let Some(inner) = single_expression(text).filter(|_| typed) {
        sink.typed(inner);
    } else {
        sink.raw("\"");
        sink.text(text);
        sink.raw("\"");
    }
}

/// The inner expression if `template` is exactly one `${…}`.
fn single_expression(template: &str) -> Option<&str> {
    let inner = template.trim().strip_prefix("${")?.strip_suffix('}')?;
    if inner.contains("${") || inner.contains('}') {
        return None;
    }
    Some(inner)
}

/// Turns `${a.b} == "x"` into `(a.b) == "x"`, leaving text inside string literals alone.
fn unwrap_placeholders(condition: &str) -> String {
    let mut out = String::with_capacity(condition.len());
    let mut chars = condition.chars().peekable();
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if c == '$' && chars.peek() == Some(&'{') {
                    chars.next();
                    depth += 1;
                    out.push('(');
                } else if c == '}' && depth > 0 {
                    depth -= 1;
                    out.push(')');
                } else {
                    if c == '"' || c == '\'' {
                        quote = Some(c);
                    }
                    out.push(c);
                }
            }
        }
    }
    out
}

/// Writes a value as a template inserts it where `escape` says (JSON bodies aside):
/// percent-encoded in URLs unless it is trusted (an environment variable), XML-escaped in
/// XML bodies, as is elsewhere.
fn write_value(
    out: &mut impl std::fmt::Write,
    escape: Escape,
    value: &JinjaValue,
) -> std::fmt::Result {
    match escape {
        Escape::Url if !value.is_safe() => {
            write!(out, "{}", utf8_percent_encode(&display(value), URL_VALUE))
        }
        Escape::Xml => write_xml_escaped(out, &display(value)),
        _ => out.write_str(&display(value)),
    }
}

/// Whether `name` is an identifier of the expression language.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `name` can be looked up as a variable: an identifier that is not a literal or an
/// operator of the expression language.
fn is_variable_name(name: &str) -> bool {
    is_identifier(name)
        && !matches!(
            name,
            "true"
                | "false"
                | "none"
                | "True"
                | "False"
                | "None"
                | "and"
                | "or"
                | "not"
                | "in"
                | "is"
                | "if"
                | "else"
        )
}

/// Renders a template whose every `${…}` is a plain variable path (`${contact.email}`,
/// `${env.base}/orders`) by looking the values up directly, without the template machine.
/// `None` when the template has anything else (filters, operators, blocks, comments) or a
/// lookup finds nothing: the caller then renders it the usual way, which reports errors.
fn render_paths(template: &str, ctx: &JinjaValue, escape: Escape) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 32);
    for segment in segments(template) {
        match segment? {
            Segment::Literal(literal) => out.push_str(literal),
            Segment::Expression(expression) => {
                let value = lookup_path(expression.trim().split('.'), ctx)?;
                write_value(&mut out, escape, &value).ok()?;
            }
        }
    }
    Some(out)
}

/// The text of a value as it is inserted: strings as they are, structures as JSON.
fn display(value: &JinjaValue) -> std::borrow::Cow<'_, str> {
    if let Some(text) = value.as_str() {
        return std::borrow::Cow::Borrowed(text);
    }
    if value.is_none() {
        return std::borrow::Cow::Borrowed("");
    }
    std::borrow::Cow::Owned(match value.kind() {
        minijinja::value::ValueKind::Map
        | minijinja::value::ValueKind::Seq
        | minijinja::value::ValueKind::Iterable => {
            serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
        }
        _ => value.to_string(),
    })
}

/// Lets serde_json write into a template's output without an intermediate string.
struct FmtWriter<'a, 'b>(&'a mut minijinja::Output<'b>);

impl std::io::Write for FmtWriter<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // serde_json only ever writes whole UTF-8 sequences.
        let text = std::str::from_utf8(buf)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        self.0
            .write_str(text)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes `text` as the inside of a JSON string literal, escaped as serde_json escapes it:
/// `"` and `\\` with a backslash, the usual short forms for control characters and
/// `\u00XX` for the others.
fn write_json_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ') {
        out.write_str(&rest[..at])?;
        let byte = rest.as_bytes()[at];
        match byte {
            b'"' => out.write_str("\\\"")?,
            b'\\' => out.write_str("\\\\")?,
            b'\n' => out.write_str("\\n")?,
            b'\r' => out.write_str("\\r")?,
            b'\t' => out.write_str("\\t")?,
            0x08 => out.write_str("\\b")?,
            0x0c => out.write_str("\\f")?,
            other => write!(out, "\\u{other:04x}")?,
        }
        rest = &rest[at + 1..];
    }
    out.write_str(rest)
}

/// Writes `text` XML-escaped (see [`xml_escape`]) without building a new string.
fn write_xml_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
        out.write_str(&rest[..at])?;
        out.write_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&apos;",
        })?;
        rest = &rest[at + 1..];
    }
    out.write_str(rest)
}

/// Escapes text for XML element content and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing into a String cannot fail.
    let _ = write_xml_escaped(&mut out, text);
    out
}

/// `${event.created_at | date("%Y-%m-%d")}`: formats an RFC 3339 date-time, an ISO date or
/// a Unix timestamp (seconds).
fn date_filter(value: JinjaValue, format: Option<String>) -> Result<String, minijinja::Error> {
    let format = format.unwrap_or_else(|| "%Y-%m-%d".to_string());
    let invalid = |what: &str| {
        minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "date filter: `{what}` is not a date (use RFC 3339, YYYY-MM-DD or a Unix timestamp)"
            ),
        )
    };
    let datetime = if let Some(seconds) = value.as_i64() {
        chrono::DateTime::from_timestamp(seconds, 0).ok_or_else(|| invalid(&value.to_string()))?
    } else {
        let text = value.to_string();
        if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(&text) {
            dt.with_timezone(&chrono::Utc)
        } else if let Ok(date) = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            date.and_hms_opt(0, 0, 0)
                .ok_or_else(|| invalid(&text))?
                .and_utc()
        } else {
            return Err(invalid(&text));
        }
    };
    let mut out = String::new();
    write!(out, "{}", datetime.format(&format)).map_err(|_| {
        minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("date filter: `{format}` is not a valid date format"),
        )
    })?;
    Ok(out)
}

/// Turns a minijinja error into one that names the unknown variable when there is one.
/// The error of a failed render. An undefined value is named by the variable path of the
/// template that is missing from `ctx` (`event.nope` in `${event.nope | upper}`), found by
/// looking each path up, rather than read from the error's position, which may point at a
/// filter or at the wrapper a condition is compiled into.
fn render_error(
    template: &minijinja::Template<'_, '_>,
    err: &minijinja::Error,
    source: &str,
    ctx: &JinjaValue,
) -> ExprError {
    if err.kind() == ErrorKind::UndefinedError
        && let Some(path) = missing_path(template, err, source, ctx)
    {
        return ExprError {
            message: format!("unknown variable `{path}`"),
            variable: Some(path),
        };
    }
    to_expr_error(err, source)
}

/// The missing variable an undefined-value error is about: of the template's variable paths
/// that lead nowhere in `ctx` (cut where they stop: `event.nope`, not `event.nope.x`), the
/// one written last, as a whole name, inside the `${…}` the error is in and before its
/// position (`default` lets earlier ones through). `None` when no such path is there (the
/// error is about something else, an index out of range for example).
fn missing_path(
    template: &minijinja::Template<'_, '_>,
    err: &minijinja::Error,
    source: &str,
    ctx: &JinjaValue,
) -> Option<String> {
    let missing = template
        .undeclared_variables(true)
        .into_iter()
        .filter_map(|path| {
            let mut value = ctx.clone();
            let mut walked = String::new();
            for name in path.split('.') {
                if !walked.is_empty() {
                    walked.push('.');
                }
                walked.push_str(name);
                value = value.get_attr(name).ok()?;
                if value.is_undefined() {
                    return Some(walked);
                }
            }
            None
        });
    let (from, to) = match err.range() {
        Some(range) => {
            let to = range.end.min(source.len());
            let from = source
                .get(..range.start)
                .and_then(|text| text.rfind("${"))
                .unwrap_or(0);
            (from, to)
        }
        None => (0, source.len()),
    };
    let block = source.get(from..to)?;
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    // The last occurrence of `path` in the block as a whole name (not the start of a longer
    // one, not the end of another).
    let last_at = |path: &str| {
        block
            .match_indices(path)
            .map(|(at, _)| at)
            .filter(|&at| {
                let before = block[..at].chars().next_back();
                let after = block[at + path.len()..].chars().next();
                !before.is_some_and(|c| is_name(c) || c == '.') && !after.is_some_and(is_name)
            })
            .last()
    };
    missing
        .filter_map(|path| last_at(&path).map(|at| (at, path.len(), path)))
        .max()
        .map(|(_, _, path)| path)
}

fn to_expr_error(err: &minijinja::Error, source: &str) -> ExprError {
    // minijinja's span of an attribute lookup starts at the dot: widen it to the root name.
    let snippet = err
        .range()
        .map(|range| {
            let bytes = source.as_bytes();
            let mut start = range.start.min(bytes.len());
            while start > 0 {
                let c = bytes[start - 1];
                if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' {
                    start -= 1;
                } else {
                    break;
                }
            }
            start..range.end
        })
        .and_then(|range| source.get(range))
        .map(|s| s.trim().to_string());
    // An undefined value reaching `typed_json` is reported at the filter: name the expression
    // it wraps (`${ (event.x) | typed_json }`) instead.
    let snippet = match (snippet, err.range()) {
        (Some(s), Some(range)) if s == "typed_json" => source
            .get(..range.start)
            .and_then(|before| before.rfind("${ (").map(|at| &before[at + 4..]))
            .map(|inner| {
                inner
                    .trim_end()
                    .trim_end_matches('|')
                    .trim_end()
                    .trim_end_matches(')')
                    .to_string()
            }),
        (snippet, _) => snippet,
    };
    match err.kind() {
        ErrorKind::UndefinedError => {
            let variable = snippet
                .map(|s| {
                    s.split('|')
                        .next()
                        .unwrap_or(&s)
                        .trim()
                        .trim_matches(|c| c == '(' || c == ')')
                        .trim()
                        .to_string()
                })
                .filter(|s| !s.is_empty());
            let message = match &variable {
                Some(name) => format!("unknown variable `{name}`"),
                None => "unknown variable".to_string(),
            };
            ExprError { variable, message }
        }
        ErrorKind::SyntaxError => ExprError::new(format!(
            "invalid expression{}: {}",
            err.line()
                .map(|l| format!(" on line {l}"))
                .unwrap_or_default(),
            err.detail().unwrap_or("syntax error")
        )),
        _ => ExprError::new(match (err.detail(), snippet) {
            (Some(detail), Some(snippet)) => format!("cannot evaluate `{snippet}`: {detail}"),
            (Some(detail), None) => detail.to_string(),
            _ => err.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A scope with this event, a contact with an email and an environment variable `base`.
    fn test_scope(event: Value) -> Scope {
        Scope {
            event,
            contact: Contact {
                email: Some("ada@example.com".into()),
                ..Contact::default()
            },
            env: BTreeMap::from([("base".to_string(), "http://h:1/p?x=1".to_string())]),
            ..Scope::default()
        }
    }

    /// The direct look-up renders exactly what the template machine renders, and leaves
    /// anything else to it.
    #[test]
    fn plain_paths_render_as_the_template_machine_does() {
        let ex = Expressions::new();
        let ctx = test_scope(json!({
            "name": "Zoë & <co>", "n": 3, "f": 99.5, "ok": true, "none": null,
            "list": [1, "a"], "map": {"k": "v w"}, "q": "a/b?c=d e"
        }))
        .to_context();
        let templates = [
            "${event.name}",
            "${ event.n }-${event.f}/${event.ok}",
            "[${event.none}] ${event.list} ${event.map}",
            "${env.base}/orders?q=${event.q}",
            "${contact.email} ${contact.first_name}",
            "a}b ${event.map.k} %} ${event.name}\n",
        ];
        for template in templates {
            for escape in [Escape::Plain, Escape::Url, Escape::Xml, Escape::Header] {
                let fast = render_paths(template, &ctx, escape);
                let slow = ex
                    .cached(escape.prefix(), template)
                    .and_then(|t| t.render(&ctx).map_err(|e| to_expr_error(&e, template)));
                assert_eq!(fast, slow.ok(), "{template} ({escape:?})");
            }
        }
        for text in [
            "plain",
            "q\"b\\s/é\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}<>&'",
            "",
        ] {
            let mut escaped = String::new();
            write_json_escaped(&mut escaped, text).expect("writes");
            assert_eq!(format!("\"{escaped}\""), Value::from(text).to_string());
        }
        for other in [
            "${event.missing}",
            "${event.name.x}",
            "${nothing}",
            "${none}",
            "${event.name | upper}",
            "${ event['name'] }",
            "${% if true %}x${% endif %}",
            "${# note #}",
            "${-event.name}",
            "${range}",
            "${event.list.0}",
        ] {
            assert_eq!(render_paths(other, &ctx, Escape::Plain), None, "{other}");
        }
    }

    /// The template machine's rendering of a JSON body template, for comparisons.
    fn machine_json(ex: &Expressions, template: &str, ctx: &JinjaValue) -> Option<String> {
        ex.cached("json:", template).ok()?.render(ctx).ok()
    }

    /// A JSON body renders exactly as its compiled template does, looked-up paths, filtered
    /// expressions, keys and mixed strings alike; what the plan cannot render falls back to
    /// the template machine and its errors.
    #[test]
    fn json_bodies_render_as_the_template_machine_does() {
        let ex = Expressions::new();
        let ctx = test_scope(json!({
            "name": "Zoë \"q\" \\ </x> & {{ ${x}", "n": 3, "f": 99.5, "ok": true,
            "none": null, "list": [1, "a", {"k": null}], "map": {"k": "v\nw"},
            "key": "dyn", "in": "kw", "none_": {"is": 1}
        }))
        .to_context();
        let templates = [
            r#"{"a": "${event.name}", "b": "${event.n}", "c": "${ event.f }", "d": "${event.ok}"}"#,
            r#"{"none": "${event.none}", "list": "${event.list}", "map": "${event.map}"}"#,
            r#"{"up": "${event.name | upper}", "dflt": "${event.promo | default('none')}"}"#,
            r#"{"mixed": "Order ${event.n} for ${contact.email}!", "key ${event.key}": 1}"#,
            r#"{"${event.key}": "${event.list.0}", "m": "x ${event.name | lower} y"}"#,
            r#"[1, 2.5, true, null, "lit \"q\"", ["${env.base}"], {"e": {}}]"#,
            r#"{"email": "${contact.email}", "first": "${contact.first_name}"}"#,
            r#"  "${event.map}"  "#,
            r#"{"calc": "${event.n + 1}", "cmp": "${event.n > 2}"}"#,
            r#"{"kw": "${event.in}", "is": "${event.none_.is}"}"#,
        ];
        for template in templates {
            let plan = ex.json_plan(template).expect("a JSON template has a plan");
            let fast = ex.render_json_plan(&plan, &ctx);
            assert!(fast.is_some(), "{template}");
            assert_eq!(fast, machine_json(&ex, template, &ctx), "{template}");
            assert_eq!(
                ex.render_json_text(template, &ctx).ok(),
                machine_json(&ex, template, &ctx),
                "{template}"
            );
        }
        for failing in [
            r#"{"a": "${event.missing}"}"#,
            r#"{"a": "x ${event.missing} y"}"#,
            r#"{"a": "${nothing.at.all}"}"#,
            r#"{"a": "${event.missing | upper}"}"#,
        ] {
            let plan = ex.json_plan(failing).expect("plan");
            assert_eq!(ex.render_json_plan(&plan, &ctx), None, "{failing}");
            let error = ex.render_json_text(failing, &ctx).expect_err(failing);
            assert!(
                error.message.contains("missing") || error.message.contains("nothing"),
                "{failing}: {error}"
            );
        }
        // A block in one string can change what later strings read: the machine renders it.
        let shadowing = r#"{"n": "${% set event = {'n': 0} %}", "t": "${event.n}"}"#;
        assert!(ex.json_plan(shadowing).is_none());
        assert_eq!(
            ex.render_json_text(shadowing, &ctx).ok().as_deref(),
            Some(r#"{"n":"","t":0}"#)
        );
        assert!(ex.json_plan("{not json").is_none());
        assert!(ex.render_json_text("{not json", &ctx).is_err());
    }

    proptest::proptest! {
        /// Whatever the values, the plan writes what the template machine writes.
        #[test]
        fn json_bodies_render_as_the_template_machine_does_for_any_value(
            text in "\\PC{0,24}",
            number in proptest::num::f64::NORMAL,
            key in "[a-z]{1,6}",
        ) {
            let ex = Expressions::new();
            let scope = Scope {
                event: json!({"text": text, "number": number, "nested": {key.clone(): [text.clone()]}}),
                ..Scope::default()
            };
            let ctx = scope.to_context();
            let template = format!(
                r#"{{"t": "${{event.text}}", "n": "${{event.number}}", "m": "<${{event.text}}>", "x": "${{event.nested.{key}}}", "u": "${{event.text | upper}}"}}"#
            );
            let plan = ex.json_plan(&template).expect("plan");
            proptest::prop_assert_eq!(ex.render_json_plan(&plan, &ctx), machine_json(&ex, &template, &ctx));
        }
    }
}
