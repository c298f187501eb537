//! Contact import from CSV and from JSON. Every row is validated before anything is written;
//! one bad row means nothing is imported, and every bad row is reported. Rows are matched to
//! existing contacts by email (case-insensitive): a match is updated, anything else created.

use std::io::Read;

use hookboard_engine::model::Contact;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::Store;
use crate::codec::new_id;
use crate::contacts::{add_groups, check, id_by_email, insert, load, normalize, update_row};
use crate::error::{Result, StoreError};

/// What an import did, or why it did nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct ImportReport {
    /// Contacts created.
    pub created: usize,
    /// Existing contacts updated (matched by email).
    pub updated: usize,
    /// Every bad row; when not empty, nothing was imported.
    pub errors: Vec<RowError>,
}

/// A row that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RowError {
    /// CSV: the 1-based line the row starts on (the header is line 1).
    /// JSON: the 0-based index of the object in the array.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// One column or key of the input, once mapped.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Email,
    Phone,
    FirstName,
    LastName,
    City,
    Birthday,
    Groups,
    /// The embedded `custom` object of a JSON contact.
    CustomObject,
    /// `id`: contacts are matched by email, ids are the store's own.
    Ignored,
    Custom(String),
}

fn target(key: &str) -> Target {
    let norm: String = key
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    match norm.as_str() {
        "email" | "e_mail" | "email_address" => Target::Email,
        "phone" | "phone_number" | "mobile" => Target::Phone,
        "first_name" | "firstname" => Target::FirstName,
        "last_name" | "lastname" => Target::LastName,
        "city" => Target::City,
        "birthday" | "birth_date" | "date_of_birth" => Target::Birthday,
        "groups" | "group" => Target::Groups,
        "custom" => Target::CustomObject,
        "id" => Target::Ignored,
        _ => Target::Custom(key.trim().to_string()),
    }
}

/// Sets a standard field; `false` when `target` is not one.
fn set_standard(contact: &mut Contact, target: &Target, value: String) -> bool {
    let slot = match target {
        Target::Email => &mut contact.email,
        Target::Phone => &mut contact.phone,
        Target::FirstName => &mut contact.first_name,
        Target::LastName => &mut contact.last_name,
        Target::City => &mut contact.city,
        Target::Birthday => &mut contact.birthday,
        _ => return false,
    };
    *slot = Some(value);
    true
}

fn split_groups(text: &str) -> Vec<String> {
    text.split(';').map(|g| g.trim().to_string()).collect()
}

/// A row that passed validation, with where it came from.
struct Row {
    line: usize,
    contact: Contact,
}

/// Normalizes and checks a parsed row, adding it to `rows` or its problem to `errors`.
fn accept(line: usize, mut contact: Contact, rows: &mut Vec<Row>, errors: &mut Vec<RowError>) {
    normalize(&mut contact);
    match check(&contact) {
        Ok(()) => rows.push(Row { line, contact }),
        Err((field, message)) => errors.push(RowError {
            line,
            message: if field == "contact" {
                message
            } else {
                format!("invalid {field}: {message}")
            },
        }),
    }
}

fn csv_invalid(message: impl Into<String>) -> StoreError {
    StoreError::invalid("contacts CSV", message)
}

/// Parses and validates CSV input. Problems of the file as a whole are an `Err`.
fn parse_csv(input: impl Read) -> Result<(Vec<Row>, Vec<RowError>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            let row = csv_error(e, 1)?;
            return Err(csv_invalid(format!("line {}: {}", row.line, row.message)));
        }
    };
    // A CSV cell cannot hold an object: a `custom` column is a custom field like any other.
    let targets: Vec<Target> = headers
        .iter()
        .map(|h| match target(h) {
            Target::CustomObject => Target::Custom(h.trim().to_string()),
            t => t,
        })
        .collect();
    if headers.is_empty() || headers.iter().all(|h| h.is_empty()) {
        return Ok((Vec::new(), Vec::new()));
    }
    for (i, t) in targets.iter().enumerate() {
        if targets[..i].contains(t) && *t != Target::Ignored {
            return Err(csv_invalid(format!(
                "line 1: column `{}` appears twice",
                headers.get(i).unwrap_or_default()
            )));
        }
        if let Target::Custom(name) = t
            && name.is_empty()
        {
            return Err(csv_invalid(format!("line 1: column {} has no name", i + 1)));
        }
    }
    if !targets.contains(&Target::Email) && !targets.contains(&Target::Phone) {
        return Err(csv_invalid(
            "line 1: the header has neither an `email` nor a `phone` column",
        ));
    }

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut last_line = 1;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let row = csv_error(e, last_line + 1)?;
                last_line = row.line;
                errors.push(row);
                continue;
            }
        };
        let line = record.position().map_or(last_line + 1, |p| {
            usize::try_from(p.line()).unwrap_or(usize::MAX)
        });
        last_line = line;
        let mut contact = Contact::default();
        for (t, value) in targets.iter().zip(record.iter()) {
            if value.is_empty() {
                continue;
            }
            match t {
                Target::Groups => contact.groups = split_groups(value),
                Target::Custom(name) => {
                    contact
                        .custom
                        .insert(name.clone(), Value::String(value.to_string()));
                }
                Target::Ignored | Target::CustomObject => {}
                standard => {
                    set_standard(&mut contact, standard, value.to_string());
                }
            }
        }
        accept(line, contact, &mut rows, &mut errors);
    }
    Ok((rows, errors))
}

/// A CSV reading error as a row error; I/O errors abort the import.
fn csv_error(e: csv::Error, fallback_line: usize) -> Result<RowError> {
    let line = e.position().map_or(fallback_line, |p| {
        usize::try_from(p.line()).unwrap_or(usize::MAX)
    });
    let message = match e.kind() {
        csv::ErrorKind::Io(io) => {
            return Err(StoreError::Read(std::io::Error::new(
                io.kind(),
                io.to_string(),
            )));
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("malformed CSV: expected {expected_len} fields, found {len}"),
        csv::ErrorKind::Utf8 { .. } => "malformed CSV: the line is not valid UTF-8".to_string(),
        _ => format!("malformed CSV: {e}"),
    };
    Ok(RowError { line, message })
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Builds a contact from one JSON object; the error lists every problem of the object.
fn json_contact(object: &serde_json::Map<String, Value>) -> std::result::Result<Contact, String> {
    let mut contact = Contact::default();
    let mut problems = Vec::new();
    for (key, value) in object {
        let t = target(key);
        match (&t, value) {
            (_, Value::Null) | (Target::Ignored, _) => {}
            (Target::Custom(name), _) if name.is_empty() => {
                problems.push("a key is empty".to_string());
            }
            (Target::Custom(name), v) => {
                contact.custom.insert(name.clone(), v.clone());
            }
            (Target::CustomObject, Value::Object(map)) => {
                for (k, v) in map {
                    if !v.is_null() {
                        contact.custom.insert(k.clone(), v.clone());
                    }
                }
            }
            (Target::CustomObject, v) => {
                problems.push(format!("`{key}` must be an object, found {}", json_type(v)));
            }
            (Target::Groups, Value::String(s)) => contact.groups = split_groups(s),
            (Target::Groups, Value::Array(items)) => {
                for item in items {
                    match item {
                        Value::String(s) => contact.groups.push(s.clone()),
                        other => problems.push(format!(
                            "`{key}` must hold group names, found {}",
                            json_type(other)
                        )),
                    }
                }
            }
            (Target::Groups, v) => problems.push(format!(
                "`{key}` must be a list of group names, found {}",
                json_type(v)
            )),
            (standard, Value::String(s)) => {
                set_standard(&mut contact, standard, s.clone());
            }
            (standard, Value::Number(n)) if matches!(standard, Target::Phone) => {
                set_standard(&mut contact, standard, n.to_string());
            }
            (_, v) => problems.push(format!("`{key}` must be a string, found {}", json_type(v))),
        }
    }
    if problems.is_empty() {
        Ok(contact)
    } else {
        Err(problems.join("; "))
    }
}

/// Parses and validates JSON input (an array of objects).
fn parse_json(mut input: impl Read) -> Result<(Vec<Row>, Vec<RowError>)> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    let document: Value = serde_json::from_slice(&bytes).map_err(|e| {
        StoreError::invalid(
            "contacts JSON",
            format!(
                "malformed JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let Value::Array(items) = document else {
        return Err(StoreError::invalid(
            "contacts JSON",
            format!(
                "expected an array of contact objects, found {}",
                json_type(&document)
            ),
        ));
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Value::Object(object) = item else {
            errors.push(RowError {
                line: index,
                message: format!("expected an object, found {}", json_type(item)),
            });
            continue;
        };
        match json_contact(object) {
            Ok(contact) => accept(index, contact, &mut rows, &mut errors),
            Err(message) => errors.push(RowError {
                line: index,
                message,
            }),
        }
    }
    Ok((rows, errors))
}

/// Copies what a row sets onto an existing contact: standard fields it has, its custom fields
/// (by key), its groups (added).
fn merge(existing: &mut Contact, row: Contact) {
    let pairs = [
        (&mut existing.email, row.email),
        (&mut existing.phone, row.phone),
        (&mut existing.first_name, row.first_name),
        (&mut existing.last_name, row.last_name),
        (&mut existing.city, row.city),
        (&mut existing.birthday, row.birthday),
    ];
    for (slot, value) in pairs {
        if value.is_some() {
            *slot = value;
        }
    }
    existing.custom.extend(row.custom);
}

impl Store {
    /// Imports contacts from CSV with a header line. Standard columns (`email`, `phone`,
    /// `first_name`, `last_name`, `city`, `birthday`) fill those fields, `groups` holds
    /// `;`-separated group names, `id` is ignored, any other column becomes a custom string
    /// field. Returns the report; when it has errors, nothing was imported. `progress` is
    /// called with (rows written, rows to write). A file that cannot be read as CSV at all
    /// (bad header) is an error.
    pub fn import_contacts_csv(
        &self,
        input: impl Read,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportReport> {
        let (rows, errors) = parse_csv(input)?;
        self.import_rows(rows, errors, progress)
    }

    /// Imports contacts from a JSON array of objects. Keys map as in
    /// [`Store::import_contacts_csv`]; other keys become custom fields keeping their JSON type,
    /// a `custom` object is merged into the custom fields, `groups` is an array of names or a
    /// `;`-separated string. Row errors carry the 0-based array index as `line`.
    pub fn import_contacts_json(
        &self,
        input: impl Read,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportReport> {
        let (rows, errors) = parse_json(input)?;
        self.import_rows(rows, errors, progress)
    }

    fn import_rows(
        &self,
        rows: Vec<Row>,
        errors: Vec<RowError>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportReport> {
        if !errors.is_empty() {
            return Ok(ImportReport {
                created: 0,
                updated: 0,
                errors,
            });
        }
        let total = rows.len();
        progress(0, total);
        self.with_tx(|tx| {
            let mut report = ImportReport::default();
            for (done, row) in rows.into_iter().enumerate() {
                let Row { line, contact } = row;
                let existing = match contact.email.as_deref() {
                    Some(email) => id_by_email(tx, email)?,
                    None => None,
                };
                let groups = contact.groups.clone();
                match existing.and_then(|id| load(tx, &id).transpose()) {
                    Some(stored) => {
                        let mut stored = stored?;
                        merge(&mut stored, contact);
                        update_row(tx, &stored)?;
                        add_groups(tx, &stored.id, &groups)?;
                        report.updated += 1;
                    }
                    None => {
                        let contact = Contact {
                            id: new_id(),
                            ..contact
                        };
                        insert(tx, &contact).map_err(|e| match e {
                            StoreError::Sqlite(e) => StoreError::invalid(
                                "contacts",
                                format!("row {line} could not be written: {e}"),
                            ),
                            other => other,
                        })?;
                        report.created += 1;
                    }
                }
                progress(done + 1, total);
            }
            Ok(report)
        })
    }
}
