//! Paste → copy → paste keeps the request, for every command of `corpus/commands.txt`.

use hookboard_curl::{CurlAuth, CurlImport, parse_curl, to_curl};

/// The corpus as (title, command) pairs.
fn corpus() -> Vec<(String, String)> {
    let text = include_str!("corpus/commands.txt");
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("### ") {
            entries.push((title.to_string(), String::new()));
        } else if let Some((_, command)) = entries.last_mut() {
            command.push_str(line);
            command.push('\n');
        }
    }
    entries
}

fn parse(title: &str, command: &str) -> CurlImport {
    parse_curl(command).unwrap_or_else(|e| panic!("{title}: {e}\n{command}"))
}

/// The command written back: with a connector and its secret when it had credentials.
fn copy(import: &CurlImport) -> String {
    let mut webhook = import.webhook.clone();
    match &import.credentials {
        Some(credentials) => {
            webhook.connector = Some("imported".into());
            let auth = credentials.connector_auth();
            to_curl(&webhook, CurlAuth::WithSecret(&auth, credentials.secret()))
        }
        None => to_curl(&webhook, CurlAuth::Omit),
    }
}

#[test]
fn the_corpus_has_at_least_30_commands() {
    let entries = corpus();
    assert!(entries.len() >= 30, "{} commands", entries.len());
    assert!(entries.iter().all(|(_, c)| c.trim_start().contains("curl")));
}

#[test]
fn paste_copy_paste_keeps_the_request() {
    for (title, command) in corpus() {
        let first = parse(&title, &command);
        let copied = copy(&first);
        let second = parse(&title, &copied);
        assert_eq!(
            first.webhook, second.webhook,
            "{title}: the webhook changed\n--- pasted\n{command}--- copied\n{copied}"
        );
        assert_eq!(
            first.credentials, second.credentials,
            "{title}: the credentials changed\n{copied}"
        );
        // Copying again gives the same text: the command is a fixed point.
        assert_eq!(copy(&second), copied, "{title}");
        // A copied command uses no option that the importer ignores.
        for warning in &second.warnings {
            assert!(
                !warning.message.contains("ignored:"),
                "{title}: copied command warns: {}\n{copied}",
                warning.message
            );
        }
    }
}

#[test]
fn masked_copies_hold_no_secret() {
    for (title, command) in corpus() {
        let import = parse(&title, &command);
        let Some(credentials) = import
            .credentials
            .as_ref()
            .filter(|c| !c.secret().is_empty())
        else {
            continue;
        };
        let mut webhook = import.webhook.clone();
        webhook.connector = Some("imported".into());
        let auth = credentials.connector_auth();
        let masked = to_curl(&webhook, CurlAuth::Masked(&auth));
        assert!(
            !masked.contains(credentials.secret()),
            "{title}: the secret is in\n{masked}"
        );
        assert!(
            masked.contains("•••"),
            "{title}: no placeholder in\n{masked}"
        );
        // Without a connector there is no authentication to show.
        webhook.connector = None;
        assert!(!to_curl(&webhook, CurlAuth::Masked(&auth)).contains("•••"));
    }
}
