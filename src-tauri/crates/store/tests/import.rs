//! Contact import from CSV and JSON: all rows validated first, nothing written on any error.

mod common;

use common::{TestResult, contact, temp_store};
use hookboard_store::{ContactQuery, RowError, Store, StoreError};
use serde_json::json;

fn csv(store: &Store, text: &str) -> Result<hookboard_store::ImportReport, StoreError> {
    store.import_contacts_csv(text.as_bytes(), &mut |_, _| {})
}

fn count(store: &Store) -> Result<usize, StoreError> {
    Ok(store
        .search_contacts(&ContactQuery {
            limit: 1000,
            ..ContactQuery::default()
        })?
        .len())
}

#[test]
fn csv_import_creates_updates_and_reports_progress() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let existing = store.create_contact(&contact("ada@example.com", "Ada", "Byron"))?;
    let input = "\u{feff}Email,First Name,last_name,City,loyalty,groups\n\
                 ADA@example.com,Ada,Lovelace,London,gold,vip;newsletter\n\
                 grace@example.com,Grace,Hopper,,42,vip\n\
                 \"alan@example.com\",\"Alan, M.\",Turing,Wilmslow,,\n";
    let mut calls = Vec::new();
    let report = store.import_contacts_csv(input.as_bytes(), &mut |done, total| {
        calls.push((done, total))
    })?;
    assert_eq!(report.errors, vec![]);
    assert_eq!((report.created, report.updated), (2, 1));
    assert_eq!(calls, vec![(0, 3), (1, 3), (2, 3), (3, 3)]);

    let ada = store.get_contact(&existing.id)?;
    assert_eq!(ada.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(ada.city.as_deref(), Some("London"));
    assert_eq!(ada.custom["loyalty"], json!("gold"));
    assert_eq!(ada.groups, vec!["newsletter", "vip"]);

    let grace = store
        .find_contact_by_email("grace@example.com")?
        .ok_or("grace missing")?;
    assert_eq!(
        grace.custom["loyalty"],
        json!("42"),
        "CSV values stay strings"
    );
    assert_eq!(grace.city, None);
    let alan = store
        .find_contact_by_email("alan@example.com")?
        .ok_or("alan missing")?;
    assert_eq!(alan.first_name.as_deref(), Some("Alan, M."));
    assert!(alan.custom.is_empty());
    assert!(alan.groups.is_empty());
    assert_eq!(store.list_groups()?.len(), 2);
    Ok(())
}

#[test]
fn csv_import_with_a_bad_row_on_line_3_imports_nothing() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let input = "email,first_name,phone\n\
                 ada@example.com,Ada,\n\
                 not-an-email,Bad,\n\
                 grace@example.com,Grace,\n";
    let mut progress_calls = 0;
    let report = store.import_contacts_csv(input.as_bytes(), &mut |_, _| progress_calls += 1)?;
    assert_eq!((report.created, report.updated), (0, 0));
    assert_eq!(
        report.errors,
        vec![RowError {
            line: 3,
            message: "invalid email: `not-an-email` is not a valid email address".into()
        }]
    );
    assert_eq!(progress_calls, 0);
    assert_eq!(count(&store)?, 0, "nothing imported");
    assert!(store.list_groups()?.is_empty());
    Ok(())
}

#[test]
fn csv_import_reports_every_bad_row() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let input = "email,phone,first_name,birthday\n\
                 ok@example.com,,Ok,1990-01-31\n\
                 ,,Nobody,\n\
                 too,many,fields,here,extra\n\
                 \"multi\nline@example.com\",,x,\n\
                 bad@example.com,,Bad,31/01/1990\n\
                 phone@only,,,\n\
                 ,+33 6 12 34 56 78,Phone only,\n";
    let report = csv(&store, input)?;
    let lines: Vec<_> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 7, 8], "{:?}", report.errors);
    assert_eq!(report.errors[0].message, "missing both email and phone");
    assert_eq!(
        report.errors[1].message,
        "malformed CSV: expected 4 fields, found 5"
    );
    assert!(report.errors[2].message.contains("email"));
    assert!(report.errors[3].message.contains("birthday"));
    assert!(report.errors[4].message.contains("`phone@only`"));
    assert_eq!(count(&store)?, 0);
    Ok(())
}

#[test]
fn csv_files_that_cannot_be_read_are_errors() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let no_key = csv(&store, "first_name,city\nAda,London\n").unwrap_err();
    assert_eq!(
        no_key.to_string(),
        "invalid contacts CSV: line 1: the header has neither an `email` nor a `phone` column"
    );
    let twice = csv(&store, "email,Email\na@example.com,b@example.com\n").unwrap_err();
    assert!(twice.to_string().contains("appears twice"), "{twice}");
    let empty = csv(&store, "")?;
    assert_eq!(
        (empty.created, empty.updated, empty.errors.len()),
        (0, 0, 0)
    );
    Ok(())
}

#[test]
fn json_import_keeps_json_types_and_groups() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    store.create_contact(&contact("ada@example.com", "Ada", "Byron"))?;
    let input = json!([
        {"email": "ada@example.com", "last_name": "Lovelace", "score": 12.5, "active": true,
         "groups": ["vip", "newsletter"]},
        {"id": "ignored", "email": "grace@example.com", "phone": 15550100, "tags": ["a", "b"],
         "custom": {"rank": "admiral"}, "groups": "vip;navy", "city": null}
    ]);
    let mut calls = Vec::new();
    let report =
        store.import_contacts_json(input.to_string().as_bytes(), &mut |d, t| calls.push((d, t)))?;
    assert_eq!(report.errors, vec![]);
    assert_eq!((report.created, report.updated), (1, 1));
    assert_eq!(calls.last(), Some(&(2, 2)));

    let ada = store
        .find_contact_by_email("ada@example.com")?
        .ok_or("ada missing")?;
    assert_eq!(
        ada.first_name.as_deref(),
        Some("Ada"),
        "kept: not in the row"
    );
    assert_eq!(ada.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(ada.custom["score"], json!(12.5));
    assert_eq!(ada.custom["active"], json!(true));
    assert_eq!(ada.groups, vec!["newsletter", "vip"]);

    let grace = store
        .find_contact_by_email("grace@example.com")?
        .ok_or("grace missing")?;
    assert_ne!(grace.id, "ignored");
    assert_eq!(grace.phone.as_deref(), Some("15550100"));
    assert_eq!(grace.custom["tags"], json!(["a", "b"]));
    assert_eq!(grace.custom["rank"], json!("admiral"));
    assert_eq!(grace.groups, vec!["navy", "vip"]);
    Ok(())
}

#[test]
fn json_import_with_bad_rows_imports_nothing() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let input = json!([
        {"email": "ok@example.com"},
        {"email": "ok2@example.com"},
        {"email": "broken@", "first_name": "X"},
        "not an object",
        {"first_name": "Nobody"},
        {"email": ["a@example.com"]}
    ]);
    let report = store.import_contacts_json(input.to_string().as_bytes(), &mut |_, _| {})?;
    let lines: Vec<_> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(
        lines,
        vec![2, 3, 4, 5],
        "array indexes: {:?}",
        report.errors
    );
    assert_eq!(
        report.errors[1].message,
        "expected an object, found a string"
    );
    assert_eq!(report.errors[2].message, "missing both email and phone");
    assert_eq!(
        report.errors[3].message,
        "`email` must be a string, found an array"
    );
    assert_eq!((report.created, report.updated), (0, 0));
    assert_eq!(count(&store)?, 0);

    let malformed = store
        .import_contacts_json(&b"[{\"email\": }]"[..], &mut |_, _| {})
        .unwrap_err();
    assert!(
        malformed
            .to_string()
            .starts_with("invalid contacts JSON: malformed JSON at line 1"),
        "{malformed}"
    );
    let not_array = store
        .import_contacts_json(&b"{\"email\": \"a@example.com\"}"[..], &mut |_, _| {})
        .unwrap_err();
    assert_eq!(
        not_array.to_string(),
        "invalid contacts JSON: expected an array of contact objects, found an object"
    );
    Ok(())
}

#[test]
fn repeated_emails_in_one_file_merge_into_one_contact() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let report = csv(
        &store,
        "email,city,groups\nada@example.com,London,a\nADA@example.com,Paris,b\n",
    )?;
    assert_eq!((report.created, report.updated), (1, 1));
    let ada = store
        .find_contact_by_email("ada@example.com")?
        .ok_or("ada missing")?;
    assert_eq!(ada.city.as_deref(), Some("Paris"));
    assert_eq!(ada.groups, vec!["a", "b"]);
    Ok(())
}
