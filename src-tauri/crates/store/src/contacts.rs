//! Contacts: standard fields as columns, custom fields as JSON, groups through
//! `contact_groups`. Emails are unique, compared case-insensitively.

use std::collections::BTreeMap;

use hookboard_engine::model::{Contact, field_problem};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Store;
use crate::codec::{format_time, from_json, new_id, now, sql_int, to_json};
use crate::error::{Result, StoreError};
use crate::segments;
use crate::workflows::check_name;

/// A contact search: free text, an optional group, an optional segment, a limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ContactQuery {
    /// Case-insensitive substring of the email, first name, last name, full name or phone;
    /// `None` or blank matches every contact.
    #[serde(default)]
    pub text: Option<String>,
    /// Only contacts in this group.
    #[serde(default)]
    pub group: Option<String>,
    /// Only contacts in this saved segment (see [`crate::Segment`]).
    #[serde(default)]
    pub segment: Option<String>,
    /// At most this many contacts.
    #[serde(default = "default_limit")]
    pub limit: usize,
}

fn default_limit() -> usize {
    100
}

impl Default for ContactQuery {
    fn default() -> Self {
        ContactQuery {
            text: None,
            group: None,
            segment: None,
            limit: default_limit(),
        }
    }
}

/// A group with how many contacts it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct GroupInfo {
    /// Group name.
    pub name: String,
    /// Number of member contacts.
    pub members: u64,
}

const ENTITY: &str = "contact";
const WHAT: &str = "contact custom fields";

/// Trims every standard field (blank becomes `None`) and the group names (blank and repeated
/// ones dropped).
pub(crate) fn normalize(contact: &mut Contact) {
    for slot in [
        &mut contact.email,
        &mut contact.phone,
        &mut contact.first_name,
        &mut contact.last_name,
        &mut contact.city,
        &mut contact.birthday,
    ] {
        *slot = slot
            .take()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
    }
    let mut groups: Vec<String> = Vec::new();
    for g in contact.groups.drain(..) {
        let g = g.trim().to_string();
        if !g.is_empty() && !groups.contains(&g) {
            groups.push(g);
        }
    }
    contact.groups = groups;
}

/// Checks a normalized contact; the error is `(field, message)`.
pub(crate) fn check(contact: &Contact) -> std::result::Result<(), (&'static str, String)> {
    if contact.email.is_none() && contact.phone.is_none() {
        return Err(("contact", "missing both email and phone".to_string()));
    }
    for (field, value) in [
        ("email", &contact.email),
        ("phone", &contact.phone),
        ("birthday", &contact.birthday),
    ] {
        if let Some(problem) = value.as_deref().and_then(|v| field_problem(field, v)) {
            return Err((field, problem));
        }
    }
    if contact.custom.keys().any(|k| k.trim().is_empty()) {
        return Err(("custom", "a custom field has an empty name".to_string()));
    }
    Ok(())
}

fn normalized_checked(contact: &Contact) -> Result<Contact> {
    let mut contact = contact.clone();
    normalize(&mut contact);
    check(&contact).map_err(|(field, message)| StoreError::invalid(field, message))?;
    Ok(contact)
}

/// The id of the contact with this email (case-insensitive).
pub(crate) fn id_by_email(conn: &Connection, email: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT id FROM contacts WHERE email = ?1 COLLATE NOCASE")?
        .query_row([email], |row| row.get(0))
        .optional()?)
}

fn exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM contacts WHERE id = ?1")?
        .exists([id])?)
}

fn require(conn: &Connection, id: &str) -> Result<()> {
    if exists(conn, id)? {
        Ok(())
    } else {
        Err(StoreError::id_not_found(ENTITY, id))
    }
}

/// Fails when another contact than `id` has `email`.
fn check_email_free(conn: &Connection, email: Option<&str>, id: &str) -> Result<()> {
    if let Some(email) = email
        && let Some(other) = id_by_email(conn, email)?
        && other != id
    {
        return Err(StoreError::exists("contact with email", email));
    }
    Ok(())
}

/// Inserts a normalized, checked contact whose `id` is set.
pub(crate) fn insert(conn: &Connection, c: &Contact) -> Result<()> {
    let at = format_time(now());
    conn.prepare_cached(
        "INSERT INTO contacts (id, email, phone, first_name, last_name, city, birthday, custom,
                               created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?
    .execute(params![
        c.id,
        c.email,
        c.phone,
        c.first_name,
        c.last_name,
        c.city,
        c.birthday,
        to_json(&c.custom, WHAT)?,
        at,
    ])?;
    add_groups(conn, &c.id, &c.groups)
}

/// Rewrites every column of a normalized, checked contact (groups are left alone).
pub(crate) fn update_row(conn: &Connection, c: &Contact) -> Result<()> {
    conn.prepare_cached(
        "UPDATE contacts SET email = ?2, phone = ?3, first_name = ?4, last_name = ?5, city = ?6,
                             birthday = ?7, custom = ?8, updated_at = ?9
         WHERE id = ?1",
    )?
    .execute(params![
        c.id,
        c.email,
        c.phone,
        c.first_name,
        c.last_name,
        c.city,
        c.birthday,
        to_json(&c.custom, WHAT)?,
        format_time(now()),
    ])?;
    Ok(())
}

/// Writes `new` over `stored` (the same contact as read in this transaction) when they differ.
/// When only fields outside the indexes (city, birthday, custom fields) changed, only those are
/// written, so that a run setting a custom field leaves the contact's indexes alone.
pub(crate) fn update_changed(conn: &Connection, stored: &Contact, new: &Contact) -> Result<()> {
    let indexed_changed = new.email != stored.email
        || new.phone != stored.phone
        || new.first_name != stored.first_name
        || new.last_name != stored.last_name;
    if indexed_changed {
        return update_row(conn, new);
    }
    if new.city != stored.city || new.birthday != stored.birthday || new.custom != stored.custom {
        conn.prepare_cached(
            "UPDATE contacts SET city = ?2, birthday = ?3, custom = ?4, updated_at = ?5
             WHERE id = ?1",
        )?
        .execute(params![
            new.id,
            new.city,
            new.birthday,
            to_json(&new.custom, WHAT)?,
            format_time(now()),
        ])?;
    }
    Ok(())
}

/// The id of group `name`, created when missing.
fn ensure_group(conn: &Connection, name: &str) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO groups (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
    )?
    .execute(params![name, format_time(now())])?;
    Ok(conn
        .prepare_cached("SELECT id FROM groups WHERE name = ?1")?
        .query_row([name], |row| row.get(0))?)
}

fn group_id(conn: &Connection, name: &str) -> Result<i64> {
    conn.prepare_cached("SELECT id FROM groups WHERE name = ?1")?
        .query_row([name], |row| row.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found("group", name))
}

/// Adds contact `id` to every group in `groups` (creating missing groups).
pub(crate) fn add_groups(conn: &Connection, id: &str, groups: &[String]) -> Result<()> {
    for group in groups {
        add_group(conn, id, group)?;
    }
    Ok(())
}

pub(crate) fn add_group(conn: &Connection, id: &str, group: &str) -> Result<bool> {
    let gid = ensure_group(conn, group)?;
    let n = conn
        .prepare_cached(
            "INSERT INTO contact_groups (contact_id, group_id, added_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![id, gid, format_time(now())])?;
    Ok(n > 0)
}

/// Reads contact `id` with its groups (by name).
pub(crate) fn load(conn: &Connection, id: &str) -> Result<Option<Contact>> {
    let row = conn
        .prepare_cached(
            "SELECT email, phone, first_name, last_name, city, birthday, custom
             FROM contacts WHERE id = ?1",
        )?
        .query_row([id], |row| {
            Ok((
                row.get::<_, Option<String>>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, String>(6)?,
            ))
        })
        .optional()?;
    let Some((email, phone, first_name, last_name, city, birthday, custom)) = row else {
        return Ok(None);
    };
    let custom: BTreeMap<String, serde_json::Value> = from_json(&custom, WHAT)?;
    let mut stmt = conn.prepare_cached(
        "SELECT g.name FROM contact_groups cg JOIN groups g ON g.id = cg.group_id
         WHERE cg.contact_id = ?1 ORDER BY g.name",
    )?;
    let groups = stmt
        .query_map([id], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(Contact {
        id: id.to_string(),
        email,
        phone,
        first_name,
        last_name,
        city,
        birthday,
        custom,
        groups,
    }))
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Store {
    /// Creates a contact (a new id is assigned when `id` is empty) and returns it as stored:
    /// fields trimmed, groups created as needed. Needs an email or a phone; the email must be
    /// valid and not used by another contact.
    pub fn create_contact(&self, contact: &Contact) -> Result<Contact> {
        let mut contact = normalized_checked(contact)?;
        if contact.id.trim().is_empty() {
            contact.id = new_id();
        }
        self.with_tx(|tx| {
            if exists(tx, &contact.id)? {
                return Err(StoreError::exists("contact id", &contact.id));
            }
            check_email_free(tx, contact.email.as_deref(), &contact.id)?;
            insert(tx, &contact)?;
            load(tx, &contact.id)?.ok_or_else(|| StoreError::id_not_found(ENTITY, &contact.id))
        })
    }

    /// Replaces every field of contact `contact.id`, including its custom fields and groups.
    pub fn update_contact(&self, contact: &Contact) -> Result<Contact> {
        let contact = normalized_checked(contact)?;
        self.with_tx(|tx| {
            require(tx, &contact.id)?;
            check_email_free(tx, contact.email.as_deref(), &contact.id)?;
            update_row(tx, &contact)?;
            tx.prepare_cached("DELETE FROM contact_groups WHERE contact_id = ?1")?
                .execute([&contact.id])?;
            add_groups(tx, &contact.id, &contact.groups)?;
            load(tx, &contact.id)?.ok_or_else(|| StoreError::id_not_found(ENTITY, &contact.id))
        })
    }

    /// The contact with id `id`.
    pub fn get_contact(&self, id: &str) -> Result<Contact> {
        self.with_conn(|conn| load(conn, id)?.ok_or_else(|| StoreError::id_not_found(ENTITY, id)))
    }

    /// Deletes contact `id` and its group memberships; its events and runs are kept.
    pub fn delete_contact(&self, id: &str) -> Result<()> {
        self.with_conn(|conn| {
            if conn
                .prepare_cached("DELETE FROM contacts WHERE id = ?1")?
                .execute([id])?
                == 0
            {
                return Err(StoreError::id_not_found(ENTITY, id));
            }
            Ok(())
        })
    }

    /// The contact with this email (case-insensitive), if any.
    pub fn find_contact_by_email(&self, email: &str) -> Result<Option<Contact>> {
        self.with_conn(|conn| match id_by_email(conn, email.trim())? {
            Some(id) => load(conn, &id),
            None => Ok(None),
        })
    }

    /// Contacts matching `query`, ordered by last name, first name, email. A group or segment
    /// that does not exist is an error naming it.
    pub fn search_contacts(&self, query: &ContactQuery) -> Result<Vec<Contact>> {
        let pattern = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| format!("%{}%", like_escape(&t.to_lowercase())));
        self.with_conn(|conn| {
            let group = match query.group.as_deref() {
                Some(name) => Some(group_id(conn, name)?),
                None => None,
            };
            let mut values: Vec<rusqlite::types::Value> =
                vec![pattern.into(), group.into(), sql_int(query.limit).into()];
            let segment = match query.segment.as_deref() {
                Some(name) => {
                    let segment = segments::load(conn, name)?
                        .ok_or_else(|| StoreError::not_found("segment", name))?;
                    segments::sql_clause(&segment, &mut values)?
                }
                None => "1".to_string(),
            };
            let mut stmt = conn.prepare(&format!(
                r"SELECT c.id FROM contacts c
                  WHERE (?1 IS NULL
                         OR hb_fold(c.email) LIKE ?1 ESCAPE '\'
                         OR hb_fold(c.first_name) LIKE ?1 ESCAPE '\'
                         OR hb_fold(c.last_name) LIKE ?1 ESCAPE '\'
                         OR hb_fold(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, ''))
                            LIKE ?1 ESCAPE '\'
                         OR hb_fold(c.phone) LIKE ?1 ESCAPE '\')
                    AND (?2 IS NULL OR EXISTS (SELECT 1 FROM contact_groups cg
                                               WHERE cg.contact_id = c.id AND cg.group_id = ?2))
                    AND ({segment})
                  ORDER BY hb_fold(COALESCE(c.last_name, '')), hb_fold(COALESCE(c.first_name, '')),
                           hb_fold(COALESCE(c.email, '')), c.id
                  LIMIT ?3",
            ))?;
            let ids = stmt
                .query_map(rusqlite::params_from_iter(values), |row| {
                    row.get::<_, String>(0)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(contact) = load(conn, &id)? {
                    out.push(contact);
                }
            }
            Ok(out)
        })
    }

    /// Adds contact `id` to `group`, creating the group if needed. Returns `false` when the
    /// contact already was a member.
    pub fn add_to_group(&self, id: &str, group: &str) -> Result<bool> {
        check_name("group name", group)?;
        self.with_tx(|tx| {
            require(tx, id)?;
            add_group(tx, id, group.trim())
        })
    }

    /// Removes contact `id` from `group`. Returns `false` when it was not a member.
    pub fn remove_from_group(&self, id: &str, group: &str) -> Result<bool> {
        self.with_tx(|tx| {
            require(tx, id)?;
            let gid = group_id(tx, group)?;
            let n = tx
                .prepare_cached(
                    "DELETE FROM contact_groups WHERE contact_id = ?1 AND group_id = ?2",
                )?
                .execute(params![id, gid])?;
            Ok(n > 0)
        })
    }

    /// Creates an empty group; fails if it exists.
    pub fn create_group(&self, name: &str) -> Result<()> {
        check_name("group name", name)?;
        self.with_tx(|tx| {
            if group_id(tx, name.trim()).is_ok() {
                return Err(StoreError::exists("group", name.trim()));
            }
            ensure_group(tx, name.trim()).map(|_| ())
        })
    }

    /// Deletes a group; its contacts stay, without that membership.
    pub fn delete_group(&self, name: &str) -> Result<()> {
        self.with_conn(|conn| {
            if conn
                .prepare_cached("DELETE FROM groups WHERE name = ?1")?
                .execute([name])?
                == 0
            {
                return Err(StoreError::not_found("group", name));
            }
            Ok(())
        })
    }

    /// Every group with its member count, by name.
    pub fn list_groups(&self) -> Result<Vec<GroupInfo>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT g.name, COUNT(cg.contact_id) FROM groups g
                 LEFT JOIN contact_groups cg ON cg.group_id = g.id
                 GROUP BY g.id ORDER BY g.name",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok(GroupInfo {
                    name: row.get(0)?,
                    members: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}
