//! Segments: saved filters over contact fields and groups.
//!
//! A contact is in a segment when it belongs to **any** of the segment's groups (when the
//! segment names groups) **and** every one of its field conditions holds. Comparisons ignore
//! case (Unicode-aware, like the contact search). A segment is evaluated in SQL, so a search
//! filtered by a segment still honours its `limit` exactly.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Store;
use crate::codec::{format_time, from_json, now, to_json};
use crate::contacts::like_escape;
use crate::error::{Result, StoreError};

const ENTITY: &str = "segment";
const WHAT: &str = "segment definition";

/// The standard contact fields a condition may test (besides `custom.NAME`).
pub const SEGMENT_FIELDS: &[&str] = &[
    "email",
    "phone",
    "first_name",
    "last_name",
    "city",
    "birthday",
];

/// A saved filter over contacts: in any of `groups` (when not empty) and matching every one
/// of `conditions`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct Segment {
    /// Unique name; the segment's identity.
    pub name: String,
    /// What the segment is for, shown beside its name.
    #[serde(default)]
    pub description: Option<String>,
    /// A contact must belong to at least one of these groups; empty means no group rule.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Every condition must hold.
    #[serde(default)]
    pub conditions: Vec<SegmentCondition>,
}

/// One test on a contact field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SegmentCondition {
    /// `email`, `phone`, `first_name`, `last_name`, `city`, `birthday` or `custom.NAME`.
    pub field: String,
    /// How the field is compared.
    pub op: ConditionOp,
    /// The text compared with (case-insensitively); required by `equals`, `contains` and
    /// `starts_with`, ignored by `is_set` and `is_not_set`. A custom field that is not text is
    /// compared by its JSON text (`42`, `true`).
    #[serde(default)]
    pub value: Option<String>,
}

/// How a condition compares a field with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConditionOp {
    /// The field equals the value.
    Equals,
    /// The field contains the value.
    Contains,
    /// The field starts with the value.
    StartsWith,
    /// The field has a non-blank value.
    IsSet,
    /// The field is missing or blank.
    IsNotSet,
}

impl ConditionOp {
    /// Whether the operator compares with a value.
    pub fn needs_value(self) -> bool {
        matches!(
            self,
            ConditionOp::Equals | ConditionOp::Contains | ConditionOp::StartsWith
        )
    }
}

/// A field a condition reads: a contacts column or a key of the custom JSON object.
enum FieldRef<'a> {
    Column(&'static str),
    Custom(&'a str),
}

fn parse_field(field: &str) -> Option<FieldRef<'_>> {
    if let Some(name) = field.strip_prefix("custom.") {
        return (!name.trim().is_empty()).then_some(FieldRef::Custom(name));
    }
    SEGMENT_FIELDS
        .iter()
        .find(|f| **f == field)
        .map(|f| FieldRef::Column(f))
}

/// Trims the name, description, groups and condition values; drops blank and repeated groups
/// and the value of operators that take none. Then checks it; errors name the field
/// (`name`, `groups[1]`, `conditions[0].value`).
fn normalized_checked(segment: &Segment) -> Result<Segment> {
    let name = segment.name.trim().to_string();
    if name.is_empty() {
        return Err(StoreError::invalid("name", "the segment has no name"));
    }
    let description = segment
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let mut groups: Vec<String> = Vec::new();
    for g in &segment.groups {
        let g = g.trim();
        if !g.is_empty() && !groups.iter().any(|x| x == g) {
            groups.push(g.to_string());
        }
    }
    let mut conditions = Vec::with_capacity(segment.conditions.len());
    for (i, c) in segment.conditions.iter().enumerate() {
        let field = c.field.trim().to_string();
        if field.is_empty() {
            return Err(StoreError::invalid(
                format!("conditions[{i}].field"),
                "choose a field",
            ));
        }
        if parse_field(&field).is_none() {
            return Err(StoreError::invalid(
                format!("conditions[{i}].field"),
                format!(
                    "`{field}` is not a contact field (use {} or custom.NAME)",
                    SEGMENT_FIELDS.join(", ")
                ),
            ));
        }
        let value = if c.op.needs_value() {
            match c.value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                Some(v) => Some(v.to_string()),
                None => {
                    return Err(StoreError::invalid(
                        format!("conditions[{i}].value"),
                        "this comparison needs a value",
                    ));
                }
            }
        } else {
            None
        };
        conditions.push(SegmentCondition {
            field,
            op: c.op,
            value,
        });
    }
    if groups.is_empty() && conditions.is_empty() {
        return Err(StoreError::invalid(
            "conditions",
            "a segment needs at least one group or one condition",
        ));
    }
    Ok(Segment {
        name,
        description,
        groups,
        conditions,
    })
}

/// Segment `name`, if it exists.
pub(crate) fn load(conn: &Connection, name: &str) -> Result<Option<Segment>> {
    let row: Option<(String, String)> = conn
        .prepare_cached("SELECT name, definition FROM segments WHERE name = ?1")?
        .query_row([name], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    row.map(|(name, definition)| decode(name, &definition))
        .transpose()
}

/// The stored definition, with the row's name as the authoritative one.
fn decode(name: String, definition: &str) -> Result<Segment> {
    let mut segment: Segment = from_json(definition, WHAT)?;
    segment.name = name;
    Ok(segment)
}

/// Pushes `value` as the next SQL parameter and returns its placeholder (`?4`).
fn bind(params: &mut Vec<SqlValue>, value: impl Into<SqlValue>) -> String {
    params.push(value.into());
    format!("?{}", params.len())
}

/// A boolean SQL expression over the contacts row aliased `c` that holds when the contact is in
/// `segment`. Its values are appended to `params`, whose placeholders are numbered after the
/// parameters already there.
pub(crate) fn sql_clause(segment: &Segment, params: &mut Vec<SqlValue>) -> Result<String> {
    let mut parts = Vec::new();
    if !segment.groups.is_empty() {
        let names: Vec<String> = segment
            .groups
            .iter()
            .map(|g| bind(params, g.clone()))
            .collect();
        parts.push(format!(
            "EXISTS (SELECT 1 FROM contact_groups cg JOIN groups g ON g.id = cg.group_id
                     WHERE cg.contact_id = c.id AND g.name IN ({}))",
            names.join(", ")
        ));
    }
    for c in &segment.conditions {
        let expr = match parse_field(&c.field) {
            Some(FieldRef::Column(col)) => format!("c.{col}"),
            Some(FieldRef::Custom(key)) => {
                let key = bind(params, key.to_string());
                format!(
                    "(SELECT CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                                         WHEN 'null' THEN NULL ELSE CAST(j.value AS TEXT) END
                      FROM json_each(c.custom) j WHERE j.key = {key})"
                )
            }
            None => {
                return Err(StoreError::Corrupt {
                    what: WHAT,
                    message: format!(
                        "segment `{}` tests unknown field `{}`",
                        segment.name, c.field
                    ),
                });
            }
        };
        let value = c.value.as_deref().unwrap_or("").to_lowercase();
        parts.push(match c.op {
            ConditionOp::Equals => format!("hb_fold({expr}) = {}", bind(params, value)),
            ConditionOp::Contains => format!(
                r"hb_fold({expr}) LIKE {} ESCAPE '\'",
                bind(params, format!("%{}%", like_escape(&value)))
            ),
            ConditionOp::StartsWith => format!(
                r"hb_fold({expr}) LIKE {} ESCAPE '\'",
                bind(params, format!("{}%", like_escape(&value)))
            ),
            ConditionOp::IsSet => format!("COALESCE(TRIM({expr}), '') <> ''"),
            ConditionOp::IsNotSet => format!("COALESCE(TRIM({expr}), '') = ''"),
        });
    }
    if parts.is_empty() {
        return Ok("1".to_string());
    }
    Ok(parts
        .into_iter()
        .map(|p| format!("({p})"))
        .collect::<Vec<_>>()
        .join(" AND "))
}

impl Store {
    /// Creates segment `segment.name`, or replaces it when it exists, and returns it as stored
    /// (trimmed; blank and repeated groups dropped). When `previous_name` is another name the
    /// segment is renamed from it in the same transaction: that segment must exist and the new
    /// name must be free. Errors name the offending field (`name`, `conditions[0].value`).
    pub fn upsert_segment(
        &self,
        segment: &Segment,
        previous_name: Option<&str>,
    ) -> Result<Segment> {
        let segment = normalized_checked(segment)?;
        let definition = to_json(&segment, WHAT)?;
        self.with_tx(|tx| {
            let at = format_time(now());
            if let Some(old) = previous_name
                .map(str::trim)
                .filter(|old| *old != segment.name)
            {
                if load(tx, &segment.name)?.is_some() {
                    return Err(StoreError::exists(ENTITY, &segment.name));
                }
                let renamed = tx
                    .prepare_cached(
                        "UPDATE segments SET name = ?2, definition = ?3, updated_at = ?4
                         WHERE name = ?1",
                    )?
                    .execute(params![old, segment.name, definition, at])?;
                if renamed == 0 {
                    return Err(StoreError::not_found(ENTITY, old));
                }
            } else {
                tx.prepare_cached(
                    "INSERT INTO segments (name, definition, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?3)
                     ON CONFLICT (name) DO UPDATE SET definition = ?2, updated_at = ?3",
                )?
                .execute(params![segment.name, definition, at])?;
            }
            load(tx, &segment.name)?.ok_or_else(|| StoreError::not_found(ENTITY, &segment.name))
        })
    }

    /// Segment `name`.
    pub fn get_segment(&self, name: &str) -> Result<Segment> {
        self.with_conn(|conn| load(conn, name)?.ok_or_else(|| StoreError::not_found(ENTITY, name)))
    }

    /// Every segment, by name.
    pub fn list_segments(&self) -> Result<Vec<Segment>> {
        self.with_conn(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT name, definition FROM segments ORDER BY name")?;
            let rows = stmt
                .query_map([], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(name, definition)| decode(name, &definition))
                .collect()
        })
    }

    /// Deletes segment `name`; contacts and groups are untouched.
    pub fn delete_segment(&self, name: &str) -> Result<()> {
        self.with_conn(|conn| {
            if conn
                .prepare_cached("DELETE FROM segments WHERE name = ?1")?
                .execute([name])?
                == 0
            {
                return Err(StoreError::not_found(ENTITY, name));
            }
            Ok(())
        })
    }
}
