//! Client key pairs for `custos cert create`: an RSA-2048 key and a self-signed certificate
//! (what `makecert` did in seed 004), written as `<name>.key.pem` (mode 0600), `<name>.cert.pem`
//! and `<name>.pem` (key + certificate, mode 0600: the file MSAL and `custos agent` read).
//! Existing files are never overwritten.

use super::error::AdminError;
use custos_core::Secret;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, KeyUsagePurpose, PKCS_RSA_SHA256};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// A generated key pair and certificate, as PEM. The key never reaches a log or `Debug`.
#[derive(Debug)]
pub(crate) struct GeneratedCert {
    pub(crate) certificate_der: Vec<u8>,
    certificate_pem: String,
    key_pem: Secret<String>,
}

/// The three files a generated certificate is written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertPaths {
    pub(crate) key: PathBuf,
    pub(crate) certificate: PathBuf,
    pub(crate) combined: PathBuf,
}

impl CertPaths {
    /// `DIR/<name>.key.pem`, `DIR/<name>.cert.pem` and `DIR/<name>.pem`.
    pub(crate) fn new(dir: &Path, name: &str) -> Self {
        Self {
            key: dir.join(format!("{name}.key.pem")),
            certificate: dir.join(format!("{name}.cert.pem")),
            combined: dir.join(format!("{name}.pem")),
        }
    }
}

/// A file name stem from a subject: ASCII letters, digits, `-`, `_` and `.` kept (lower-cased),
/// anything else turned into `-`; never empty, never starting with `.`.
pub(crate) fn file_stem(subject: &str) -> String {
    let stem: String = subject
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let stem = stem.trim_matches(|c| c == '-' || c == '.');
    if stem.is_empty() { "client".to_owned() } else { stem.to_owned() }
}

/// Generates an RSA-2048 key and a certificate `CN={common_name}` valid from `not_before` for
/// `days` days.
pub(crate) fn generate(
    common_name: &str,
    not_before: OffsetDateTime,
    days: u32,
) -> Result<GeneratedCert, AdminError> {
    let failed = |e: rcgen::Error| AdminError::Usage(format!("cannot generate the certificate: {e}"));
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256).map_err(failed)?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    params.distinguished_name = name;
    // Whole seconds, as X.509 times carry no fractions.
    let not_before = not_before.replace_nanosecond(0).unwrap_or(not_before);
    params.not_before = not_before;
    params.not_after = not_before + time::Duration::days(i64::from(days));
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let certificate = params.self_signed(&key).map_err(failed)?;
    Ok(GeneratedCert {
        certificate_der: certificate.der().to_vec(),
        certificate_pem: certificate.pem(),
        key_pem: Secret::new(key.serialize_pem()),
    })
}

fn write_new(path: &Path, contents: &str, mode: u32) -> Result<(), AdminError> {
    let failed = |e: std::io::Error| AdminError::Usage(format!("cannot write {}: {e}", path.display()));
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path).map_err(failed)?;
    file.write_all(contents.as_bytes()).map_err(failed)?;
    file.sync_all().map_err(failed)
}

/// Writes the three files, creating `paths`' directory when missing. Refuses before writing
/// anything when one of them exists.
pub(crate) fn write(cert: &GeneratedCert, paths: &CertPaths) -> Result<(), AdminError> {
    for path in [&paths.key, &paths.certificate, &paths.combined] {
        if path.exists() {
            return Err(AdminError::Usage(format!(
                "{} already exists; choose another --out directory or --subject",
                path.display()
            )));
        }
    }
    if let Some(dir) = paths.key.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| AdminError::Usage(format!("cannot create {}: {e}", dir.display())))?;
    }
    write_new(&paths.key, cert.key_pem.expose(), 0o600)?;
    write_new(&paths.certificate, &cert.certificate_pem, 0o644)?;
    write_new(&paths.combined, &format!("{}{}", cert.key_pem.expose(), cert.certificate_pem), 0o600)
}

/// Writes key and certificate into one new file (mode 0600), the form `custos agent` reads,
/// creating its directory when missing. Refuses when the file exists.
pub(crate) fn write_combined(cert: &GeneratedCert, path: &Path) -> Result<(), AdminError> {
    if path.exists() {
        return Err(AdminError::Usage(format!(
            "{} already exists; choose another --out file",
            path.display()
        )));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| AdminError::Usage(format!("cannot create {}: {e}", dir.display())))?;
    }
    write_new(path, &format!("{}{}", cert.key_pem.expose(), cert.certificate_pem), 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_jose::cert::{ClientCertificate, KeyKind};
    use std::os::unix::fs::PermissionsExt as _;
    use time::macros::datetime;

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("Billing Daemon"), "billing-daemon");
        assert_eq!(file_stem("../etc/passwd"), "etc-passwd");
        assert_eq!(file_stem("***"), "client");
        assert_eq!(file_stem("api.v2_x"), "api.v2_x");
    }

    #[test]
    fn generated_certificates_are_rsa_2048_and_written_privately_once() {
        let cert = generate("daemon", datetime!(2026-01-01 10:00:00.5 UTC), 30).unwrap();
        let parsed = ClientCertificate::from_der(&cert.certificate_der).unwrap();
        assert_eq!(parsed.key_kind(), KeyKind::Rsa { bits: 2048 });
        assert_eq!(parsed.subject(), "CN=daemon");
        assert_eq!(parsed.not_before(), datetime!(2026-01-01 10:00 UTC));
        assert_eq!(parsed.not_after(), datetime!(2026-01-31 10:00 UTC));

        let dir = tempfile::tempdir().unwrap();
        let paths = CertPaths::new(&dir.path().join("out"), "daemon");
        write(&cert, &paths).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&paths.key), 0o600);
        assert_eq!(mode(&paths.combined), 0o600);
        assert_eq!(mode(&paths.certificate), 0o644);
        let combined = std::fs::read_to_string(&paths.combined).unwrap();
        assert!(combined.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(combined.contains("-----BEGIN CERTIFICATE-----"));
        assert_eq!(ClientCertificate::from_pem(&combined).unwrap().der(), cert.certificate_der.as_slice());
        let again = write(&cert, &paths).unwrap_err();
        assert_eq!(
            again.to_string(),
            format!("{} already exists; choose another --out directory or --subject", paths.key.display())
        );
        let shown = format!("{cert:?}");
        assert!(shown.contains("key_pem: Secret(<redacted>)") && !shown.contains("PRIVATE KEY"), "{shown}");
    }
}
