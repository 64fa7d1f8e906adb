/*!
TLS failures in words, each with the fix; and what protects a live session
(for validate-environment).
*/

use super::{SslMode, TlsSettings, Verify};
use rustls::{CertificateError, Error as TlsError};
use std::error::Error as StdError;

/// `Some((message, help))` when `err` is a TLS failure. `target` is the
/// redacted `host:port/db as user`, `host` the name the certificate must carry.
pub fn explain(
    err: &postgres::Error,
    settings: &TlsSettings,
    target: &str,
    host: &str,
) -> Option<(String, String)> {
    let mode = settings.mode.as_str();
    let text = chain_text(err);
    if text.contains("server does not support TLS") {
        return Some((
            format!(
                "the database server at {target} does not offer TLS, and sslmode={mode} requires an encrypted connection"
            ),
            "turn TLS on at the server (postgresql.conf: `ssl = on` with ssl_cert_file and ssl_key_file), or, only on a trusted network such as a local server, use sslmode=prefer or sslmode=disable".into(),
        ));
    }
    let Some(tls) = rustls_error(err) else {
        return text.contains("TLS").then(|| {
            (
                format!("the TLS handshake with the database server at {target} failed ({}): {text}", settings.describe()),
                "check sslmode and sslrootcert in the database URL; sslmode=require encrypts without checking the certificate".into(),
            )
        });
    };
    let roots = settings.roots().describe();
    let weaker = match settings.mode {
        SslMode::Prefer | SslMode::Require => {
            "or leave sslrootcert out: sslmode=require alone encrypts without checking the certificate"
        }
        _ => "or use sslmode=require to encrypt without checking the certificate",
    };
    let fix_ca = format!(
        "pass the CA certificate that signed the server's certificate (managed services publish theirs) as sslrootcert=/path/to/ca.pem, e.g. `postgresql://USER:PASSWORD@HOST/DB?sslmode=verify-full&sslrootcert=/path/to/ca.pem`; {weaker}"
    );
    Some(match tls {
        TlsError::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => {
            let names = match tls {
                TlsError::InvalidCertificate(CertificateError::NotValidForNameContext {
                    presented,
                    ..
                }) if !presented.is_empty() => {
                    let names: Vec<String> = presented.iter().map(|n| plain_name(n)).collect();
                    format!(" (it names {})", names.join(", "))
                }
                _ => String::new(),
            };
            (
                format!(
                    "the certificate of the database server at {target} is not valid for the host name `{host}`{names}; sslmode={mode} checks the host name"
                ),
                "connect with a host name the certificate names (for a local server often `localhost` rather than `127.0.0.1`), or use sslmode=verify-ca to check the CA but not the host name".into(),
            )
        }
        TlsError::InvalidCertificate(
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. },
        ) => (
            format!(
                "the certificate of the database server at {target} is expired or not yet valid: {tls}"
            ),
            "renew the server's certificate, or check this machine's clock".into(),
        ),
        TlsError::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => (
            format!(
                "the certificate of the database server at {target} is not signed by a trusted CA ({roots}; sslmode={mode}): {tls}"
            ),
            fix_ca,
        ),
        other => (
            format!(
                "the TLS handshake with the database server at {target} failed ({}): {other}",
                settings.describe()
            ),
            fix_ca,
        ),
    })
}

/// The TLS negotiation failed (as opposed to TCP, authentication, ...).
pub fn is_tls_failure(err: &postgres::Error) -> bool {
    rustls_error(err).is_some() || chain_text(err).contains("TLS")
}

/// The error and its causes (the driver's Display omits the cause).
fn chain_text(err: &postgres::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(&format!(": {c}"));
        }
        source = cause.source();
    }
    text
}

/// `DnsName("localhost")` (how rustls lists presented names) -> `localhost`.
fn plain_name(presented: &str) -> String {
    let inner = presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(presented);
    inner.trim_matches('"').to_string()
}

/// The rustls error behind a driver error: tokio-rustls wraps it in an
/// `io::Error`, whose `source()` skips it, so look inside each io::Error too.
fn rustls_error(err: &postgres::Error) -> Option<&TlsError> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(t) = e.downcast_ref::<TlsError>() {
            return Some(t);
        }
        if let Some(t) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<TlsError>())
        {
            return Some(t);
        }
        current = e.source();
    }
    None
}

/// What protects this session, from the server's own view (`pg_stat_ssl`):
/// `TLSv1.3 (TLS_AES_256_GCM_SHA384), certificate chain and host name verified (…)`
/// or `not encrypted (sslmode=prefer)`.
pub fn session(client: &mut postgres::Client, settings: &TlsSettings) -> String {
    let row = client.query_opt(
        "SELECT version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl",
        &[],
    );
    match row {
        Ok(Some(row)) => {
            let version: Option<String> = row.get(0);
            let cipher: Option<String> = row.get(1);
            let checked = match settings.verify() {
                Verify::Nothing => format!(
                    "certificate not verified (sslmode={})",
                    settings.mode.as_str()
                ),
                Verify::Chain => format!(
                    "certificate chain verified, host name not checked ({})",
                    settings.describe()
                ),
                Verify::ChainAndHost => format!(
                    "certificate chain and host name verified ({})",
                    settings.describe()
                ),
            };
            format!(
                "encrypted: {} ({}), {checked}",
                version.as_deref().unwrap_or("TLS"),
                cipher.as_deref().unwrap_or("unknown cipher")
            )
        }
        Ok(None) => format!("not encrypted ({})", settings.describe()),
        Err(_) => "encryption unknown (pg_stat_ssl not readable)".into(),
    }
}
