//! Every refused command says why, naming the option at fault and its word.

use hookboard_curl::{CurlErrorCode, parse_curl};

#[test]
fn every_error_names_the_offending_flag() {
    let cases: &[(&str, &str, CurlErrorCode)] = &[
        (
            "curl -d @body.json https://x.example/",
            "-d",
            CurlErrorCode::ReadsFile,
        ),
        (
            "curl --data-binary @file https://x.example/",
            "--data-binary",
            CurlErrorCode::ReadsFile,
        ),
        (
            "curl --json @f.json https://x.example/",
            "--json",
            CurlErrorCode::ReadsFile,
        ),
        (
            "curl --data-urlencode name@file https://x.example/",
            "--data-urlencode",
            CurlErrorCode::ReadsFile,
        ),
        (
            "curl -F file=@photo.jpg https://x.example/",
            "-F",
            CurlErrorCode::ReadsFile,
        ),
        (
            "curl --form 'text=<notes.txt' https://x.example/",
            "--form",
            CurlErrorCode::ReadsFile,
        ),
        (
            "curl -H @headers.txt https://x.example/",
            "-H",
            CurlErrorCode::ReadsFile,
        ),
        (
            "curl -b cookies.txt https://x.example/",
            "-b",
            CurlErrorCode::ReadsFile,
        ),
        (
            "curl -T upload.bin https://x.example/",
            "-T",
            CurlErrorCode::ReadsFile,
        ),
        (
            "curl -K opts.cfg https://x.example/",
            "-K",
            CurlErrorCode::ReadsFile,
        ),
        (
            "curl --netrc https://x.example/",
            "--netrc",
            CurlErrorCode::ReadsFile,
        ),
        (
            "curl --frobnicate https://x.example/",
            "--frobnicate",
            CurlErrorCode::UnknownOption,
        ),
        (
            "curl -sZ https://x.example/",
            "-Z",
            CurlErrorCode::UnknownOption,
        ),
        (
            "curl https://x.example/ -H",
            "-H",
            CurlErrorCode::MissingValue,
        ),
        (
            "curl https://x.example/ --data-raw",
            "--data-raw",
            CurlErrorCode::MissingValue,
        ),
        (
            "curl -H 'NoColon' https://x.example/",
            "-H",
            CurlErrorCode::InvalidValue,
        ),
        (
            "curl -H 'Bad Name: v' https://x.example/",
            "-H",
            CurlErrorCode::InvalidValue,
        ),
        (
            "curl -u alice https://x.example/",
            "-u",
            CurlErrorCode::InvalidValue,
        ),
        (
            "curl -m soon https://x.example/",
            "-m",
            CurlErrorCode::InvalidValue,
        ),
        (
            "curl --max-time -3 https://x.example/",
            "--max-time",
            CurlErrorCode::InvalidValue,
        ),
        (
            "curl -F novalue https://x.example/",
            "-F",
            CurlErrorCode::InvalidValue,
        ),
        (
            "curl -X OPTIONS https://x.example/",
            "-X",
            CurlErrorCode::Unsupported,
        ),
        (
            "curl --digest -u a:b https://x.example/",
            "--digest",
            CurlErrorCode::Unsupported,
        ),
        (
            "curl -E cert.pem https://x.example/",
            "-E",
            CurlErrorCode::Unsupported,
        ),
        (
            "curl -F a=1 -d b=2 https://x.example/",
            "-F",
            CurlErrorCode::Unsupported,
        ),
        (
            "curl -G -F a=1 https://x.example/",
            "-F",
            CurlErrorCode::Unsupported,
        ),
        ("curl https://x.example/ | jq .", "|", CurlErrorCode::Url),
        (
            "curl https://x.example/ > out.json",
            ">",
            CurlErrorCode::Url,
        ),
        (
            "curl https://a.example/ https://b.example/",
            "https://b.example/",
            CurlErrorCode::Url,
        ),
        (
            "curl ftp://files.example/a.txt",
            "ftp://files.example/a.txt",
            CurlErrorCode::Url,
        ),
        (
            "curl 'https://exa mple.com/'",
            "https://exa mple.com/",
            CurlErrorCode::Url,
        ),
    ];
    for (command, flag, code) in cases {
        let err = match parse_curl(command) {
            Ok(import) => panic!("{command} was accepted: {:?}", import.webhook),
            Err(e) => e,
        };
        assert_eq!(err.code, *code, "{command}: {err}");
        assert_eq!(err.flag.as_deref(), Some(*flag), "{command}: {err}");
        assert!(
            err.message.contains(&format!("`{flag}`")),
            "{command}: the message does not name `{flag}`: {err}"
        );
        assert!(err.token.is_some(), "{command}: no word index: {err}");
    }
}

#[test]
fn word_indices_point_at_the_option() {
    let err = parse_curl("curl https://x.example/ -H 'A: 1' --data-binary @f").err();
    assert_eq!(err.and_then(|e| e.token), Some(4));
    let err = parse_curl("curl -sSd@f https://x.example/").err();
    assert_eq!(
        err.map(|e| (e.flag, e.token)),
        Some((Some("-d".to_string()), Some(1)))
    );
}

#[test]
fn whole_command_errors_say_what_is_wrong() {
    let message = |c: &str| parse_curl(c).err().map(|e| (e.code, e.message));
    let (code, text) = message("wget https://x.example/").unwrap_or_else(|| panic!("accepted"));
    assert_eq!(code, CurlErrorCode::NotCurl);
    assert!(text.contains("wget"));
    let (code, _) = message("").unwrap_or_else(|| panic!("accepted"));
    assert_eq!(code, CurlErrorCode::NotCurl);
    let (code, text) = message("curl 'https://x.example/").unwrap_or_else(|| panic!("accepted"));
    assert_eq!(code, CurlErrorCode::Syntax);
    assert!(text.contains("quote"));
    let (code, text) = message("curl -s").unwrap_or_else(|| panic!("accepted"));
    assert_eq!(code, CurlErrorCode::Url);
    assert!(text.contains("no URL"));
}

#[test]
fn odd_input_never_panics() {
    for command in [
        "curl $'\\x'",
        "curl $'\\u{d800}' https://x.example/",
        "curl $'\\ud800' https://x.example/",
        "curl ^",
        "curl -d",
        "curl -- https://x.example/",
        "curl -X",
        "curl '' ",
        "curl https://x.example/ -m 1e309",
        "curl https://x.example/ -m NaN",
        "curl 'https://${x' -d '${'",
        "curl -H ': v' https://x.example/",
        "curl -H 'é: v' https://x.example/",
        "curl https://",
        "curl -u : -H 'Authorization: Basic !!!' https://x.example/",
    ] {
        let _ = parse_curl(command);
    }
}
