//! TLS on `tls-port`, with rustls: the acceptor built from the `tls-*`
//! directives, and the handshake of each accepted connection.
//!
//! What the directives do, as in Redis: `tls-cert-file` and `tls-key-file`
//! (PEM) are the server's certificate chain and key; `tls-ca-cert-file`
//! and/or `tls-ca-cert-dir` the CAs that client certificates must chain to;
//! `tls-auth-clients` `yes` (the default: a client certificate is
//! required), `optional` (checked if sent) or `no`; `tls-protocols` a
//! subset of `TLSv1.2 TLSv1.3` (default both). Not supported, refused at
//! start or by CONFIG SET with a clear message: an encrypted key
//! (`tls-key-file-pass`), OpenSSL cipher lists (`tls-ciphers`,
//! `tls-ciphersuites`: rustls offers only modern suites, which are
//! used), DH parameters (rustls uses ECDHE only).

use std::sync::Arc;

use ferrite_config::Config;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// Time a client has to complete its handshake.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

/// The acceptor the `tls-*` directives describe, or why there is none.
pub fn acceptor(cfg: &Config) -> Result<TlsAcceptor, String> {
    if cfg.tls_cert_file.is_empty() || cfg.tls_key_file.is_empty() {
        return Err("TLS needs tls-cert-file and tls-key-file".to_owned());
    }
    if !cfg.tls_key_file_pass.is_empty() {
        return Err(
            "tls-key-file-pass is not supported: give tls-key-file an unencrypted key".to_owned(),
        );
    }
    let cert_file = text(&cfg.tls_cert_file);
    let key_file = text(&cfg.tls_key_file);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_file)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| format!("Failed to load certificate: {cert_file}: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "Failed to load certificate: {cert_file}: no certificate"
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&key_file)
        .map_err(|e| format!("Failed to load private key: {key_file}: {e}"))?;
    let versions = protocols(&cfg.tls_protocols)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("TLS configuration: {e}"))?;
    let auth = if cfg.tls_auth_clients.eq_ignore_ascii_case("no") {
        None
    } else {
        Some(cfg.tls_auth_clients.eq_ignore_ascii_case("optional"))
    };
    let builder = match auth {
        None => builder.with_no_client_auth(),
        Some(optional) => {
            let roots = ca_roots(cfg)?;
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let v = if optional {
                v.allow_unauthenticated()
            } else {
                v
            };
            let verifier = v
                .build()
                .map_err(|e| format!("TLS client verification: {e}"))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("Failed to load certificate and key: {e}"))?;
    config.alpn_protocols.clear();
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// `tls-protocols`: the versions named (both when empty).
fn protocols(v: &[u8]) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
    let words: Vec<String> = text(v).split_whitespace().map(|w| w.to_owned()).collect();
    if words.is_empty() {
        return Ok(vec![&rustls::version::TLS13, &rustls::version::TLS12]);
    }
    let mut out = Vec::new();
    for w in &words {
        if w.eq_ignore_ascii_case("TLSv1.3") {
            out.push(&rustls::version::TLS13);
        } else if w.eq_ignore_ascii_case("TLSv1.2") {
            out.push(&rustls::version::TLS12);
        } else {
            return Err(format!(
                "Failed to configure TLS: protocol '{w}' is not supported (TLSv1.2 and TLSv1.3 are)"
            ));
        }
    }
    Ok(out)
}

/// The CA certificates client certificates must chain to.
fn ca_roots(cfg: &Config) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let mut files = Vec::new();
    if !cfg.tls_ca_cert_file.is_empty() {
        files.push(text(&cfg.tls_ca_cert_file));
    }
    if !cfg.tls_ca_cert_dir.is_empty() {
        let dir = text(&cfg.tls_ca_cert_dir);
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| format!("Failed to read tls-ca-cert-dir {dir}: {e}"))?;
        for e in entries.flatten() {
            if e.path().is_file() {
                files.push(e.path().display().to_string());
            }
        }
    }
    if files.is_empty() {
        return Err(
            "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-auth-clients is yes or optional"
                .to_owned(),
        );
    }
    for f in files {
        let certs = CertificateDer::pem_file_iter(&f)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("Failed to load CA certificate(s) {f}: {e}"))?;
        for c in certs {
            roots
                .add(c)
                .map_err(|e| format!("Failed to load CA certificate(s) {f}: {e}"))?;
        }
    }
    Ok(roots)
}

/// True when CONFIG SET changed a directive the acceptor is built from.
pub fn settings_changed(a: &Config, b: &Config) -> bool {
    a.tls_cert_file != b.tls_cert_file
        || a.tls_key_file != b.tls_key_file
        || a.tls_key_file_pass != b.tls_key_file_pass
        || a.tls_ca_cert_file != b.tls_ca_cert_file
        || a.tls_ca_cert_dir != b.tls_ca_cert_dir
        || a.tls_auth_clients != b.tls_auth_clients
        || a.tls_protocols != b.tls_protocols
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(c: &Config) -> String {
        match acceptor(c) {
            Ok(_) => panic!("an acceptor was built"),
            Err(e) => e,
        }
    }

    #[test]
    fn missing_files_and_unsupported_settings_are_explained() {
        let mut c = Config::default();
        assert!(why(&c).contains("tls-cert-file"));
        c.tls_cert_file = b"/nonexistent/cert.pem".to_vec();
        c.tls_key_file = b"/nonexistent/key.pem".to_vec();
        assert!(why(&c).starts_with("Failed to load certificate: /nonexistent/cert.pem"));
        c.tls_key_file_pass = b"secret".to_vec();
        assert!(why(&c).contains("tls-key-file-pass"));
        assert!(protocols(b"TLSv1.1").is_err());
        assert_eq!(protocols(b"TLSv1.3").unwrap().len(), 1);
        assert_eq!(protocols(b"").unwrap().len(), 2);
    }
}
