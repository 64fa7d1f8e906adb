/*!
The API base URL a generated app calls (`--api-base-url`, or the one recorded
in `.tasker-app/manifest.toml`). Parsed with the `url` crate (WHATWG rules):
only `http`/`https` with a host, no credentials. The value kept is the
parser's serialisation (anything unusual percent-encoded), without a trailing
`/`; the templates escape it once more for each file (see `escape`).
*/

use crate::error::CliError;

const EXAMPLE: &str = "e.g. https://dummyjson.com or http://127.0.0.1:3001";

/// Checks `value`; `origin` names where it came from in the error
/// (`--api-base-url` or the manifest's path).
pub fn parse(value: &str, origin: &str) -> Result<String, CliError> {
    let refuse = |why: String| {
        CliError::usage(format!(
            "{origin} `{}` is not usable: {why}",
            // A password in it never reaches the screen.
            crate::db::url::redact(value).escape_debug()
        ))
    };
    let url = url::Url::parse(value.trim()).map_err(|e| refuse(format!("{e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse(format!(
            "the scheme is `{}`; only http and https are accepted",
            url.scheme()
        )));
    }
    match url.host() {
        None => return Err(refuse("it has no host".into())),
        // WHATWG lets a few odd characters (e.g. `"`) through in a domain; a
        // host name is letters, digits, `-`, `_` and dots (IDNs arrive as punycode).
        Some(url::Host::Domain(d))
            if d.is_empty()
                || !d
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) =>
        {
            return Err(refuse(format!(
                "the host `{}` is not a valid host name",
                d.escape_debug()
            )));
        }
        Some(_) => {}
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "it contains a user or password; the app's URL is written into its source and README"
                .into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(
            "it has a `?query` or `#fragment`; the app appends paths such as /carts/1 to it".into(),
        ));
    }
    let kept = url.as_str().trim_end_matches('/');
    // The URL lands in Rust, TOML, YAML, Markdown and dotenv files: only
    // characters that mean nothing special in any of them (and are enough for
    // any base URL) are kept; the rest must be percent-encoded.
    if let Some(c) = kept.chars().find(|c| !is_plain(*c)) {
        return Err(refuse(format!(
            "it contains `{c}`; percent-encode it (e.g. `;` as %3B)"
        )));
    }
    Ok(kept.to_string())
}

/// Characters a kept URL may hold: unreserved, and the delimiters of a base URL.
pub fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/%@+,=[]".contains(c)
}

/// [`parse`] with the help line for the flag.
pub fn from_flag(value: &str) -> Result<String, CliError> {
    parse(value, "--api-base-url").map_err(|e| e.with_help(EXAMPLE))
}

/// [`parse`] for the value a previous build recorded in the manifest.
pub fn from_manifest(value: &str, manifest: &std::path::Path) -> Result<String, CliError> {
    parse(value, &format!("api_base_url in {}", manifest.display())).map_err(|e| {
        e.with_help(format!(
            "correct it in that file, or pass --api-base-url ({EXAMPLE}); nothing was written"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_with_a_host_are_kept_in_normal_form() {
        assert_eq!(
            from_flag("https://dummyjson.com/").unwrap(),
            "https://dummyjson.com"
        );
        assert_eq!(
            from_flag("http://127.0.0.1:3001").unwrap(),
            "http://127.0.0.1:3001"
        );
        assert_eq!(
            from_flag("HTTP://Example.COM/api").unwrap(),
            "http://example.com/api"
        );
    }

    // Issue 11: a quote in the URL was rendered raw into the app's Rust source.
    #[test]
    fn anything_else_is_refused_or_made_harmless() {
        for bad in [
            "ftp://x.com",
            "http://",
            "dummyjson.com",
            "https://u:p@x.com",
            "https://x.com/?a=1",
            "javascript:alert(1)",
            "http://x\".com",
        ] {
            let err = from_flag(bad).expect_err(bad);
            assert_eq!(err.exit, crate::error::Exit::Usage);
            assert!(err.help.is_some());
        }
        let kept = from_flag("https://x.com/a\"b`c d").unwrap();
        assert!(!kept.contains(['"', '`', ' ']), "{kept}");
    }

    #[test]
    fn a_refused_url_never_shows_its_password() {
        for bad in [
            "https://u:hunter2@x.com",
            "ftp://u:hunter2@x.com",
            "https://u:hunter2@x.com/?q=1",
            "http://u:hunter2@",
        ] {
            let err = from_flag(bad).expect_err(bad);
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }
}
