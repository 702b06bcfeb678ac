//! Development TLS material: the CA and server certificate that `custos init` writes into the
//! data directory (the listener loads them with `custos_listener::load_server_config`).

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, SanType,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

/// Why the development TLS material could not be created.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
}

/// Where the development TLS files live inside the data directory.
#[derive(Debug, Clone)]
pub struct DevTlsPaths {
    /// The CA certificate clients must trust.
    pub ca_cert: PathBuf,
    /// The CA's private key (mode 0600), kept to re-issue the server certificate.
    pub ca_key: PathBuf,
    /// The server certificate chain.
    pub server_cert: PathBuf,
    /// The server private key (mode 0600).
    pub server_key: PathBuf,
    /// The host names and addresses the server certificate covers, one per line.
    server_names: PathBuf,
}

impl DevTlsPaths {
    /// The files under `DIR/tls/`.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        let tls = data_dir.join("tls");
        Self {
            ca_cert: tls.join("ca.pem"),
            ca_key: tls.join("ca.key"),
            server_cert: tls.join("server.pem"),
            server_key: tls.join("server.key"),
            server_names: tls.join("server.names"),
        }
    }
}

const CA_NAME: &str = "custos development CA";

fn ca_params(now: OffsetDateTime) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_NAME);
    dn.push(DnType::OrganizationName, "custos");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(3650);
    Ok(params)
}

/// Makes sure the development CA and a server certificate covering `localhost`, `127.0.0.1`,
/// `::1` and `extra_hosts` (e.g. `custos_core::origins::Origins::host_names`) exist. The CA is
/// created once; the server certificate is re-issued when a host it does not cover is asked
/// for. Returns whether anything was written.
pub fn ensure_dev_tls(
    paths: &DevTlsPaths,
    extra_hosts: &[String],
    now: OffsetDateTime,
) -> Result<bool, TlsError> {
    let mut names: BTreeSet<String> =
        ["localhost", "127.0.0.1", "::1"].into_iter().map(str::to_owned).collect();
    for host in extra_hosts {
        names.insert(host.trim_start_matches('[').trim_end_matches(']').to_owned());
    }
    let dir = paths.ca_cert.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;

    let mut wrote = false;
    let ca_key = if paths.ca_key.exists() && paths.ca_cert.exists() {
        let pem = read(&paths.ca_key)?;
        KeyPair::from_pem(&pem)?
    } else {
        let key = KeyPair::generate()?;
        let cert = ca_params(now)?.self_signed(&key)?;
        write_file(&paths.ca_cert, cert.pem().as_bytes(), 0o644)?;
        write_file(&paths.ca_key, key.serialize_pem().as_bytes(), 0o600)?;
        wrote = true;
        key
    };

    let covered: BTreeSet<String> = match std::fs::read_to_string(&paths.server_names) {
        Ok(s) => s.lines().map(str::to_owned).collect(),
        Err(_) => BTreeSet::new(),
    };
    if !wrote && paths.server_cert.exists() && paths.server_key.exists() && names.is_subset(&covered) {
        return Ok(false);
    }
    let names: BTreeSet<String> = names.union(&covered).cloned().collect();
    let issuer = Issuer::new(ca_params(now)?, ca_key);
    let server_key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => n.clone().try_into().map(SanType::DnsName),
        })
        .collect::<Result<_, _>>()?;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(825);
    let cert = params.signed_by(&server_key, &issuer)?;
    write_file(&paths.server_cert, cert.pem().as_bytes(), 0o644)?;
    write_file(&paths.server_key, server_key.serialize_pem().as_bytes(), 0o600)?;
    let listing: String = names.iter().map(|n| format!("{n}\n")).collect();
    write_file(&paths.server_names, listing.as_bytes(), 0o644)?;
    Ok(true)
}

fn read(path: &Path) -> Result<String, TlsError> {
    std::fs::read_to_string(path).map_err(|source| TlsError::Io { path: path.to_owned(), source })
}

/// Creates `dir` (and parents) with mode 0700 when missing.
pub fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| TlsError::Io { path: dir.to_owned(), source })
}

/// Writes a file atomically (temp file + rename) with the given mode.
pub fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), TlsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| TlsError::Io { path: path.to_owned(), source };
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(io)?;
    f.write_all(contents).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_tls_is_created_once_and_reissued_for_new_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let paths = DevTlsPaths::in_data_dir(dir.path());
        let now = time::macros::datetime!(2026-11-26 08:00 UTC);
        let hosts = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert!(ensure_dev_tls(&paths, &[], now).unwrap());
        let ca = std::fs::read(&paths.ca_cert).unwrap();
        assert!(!ensure_dev_tls(&paths, &hosts(&["localhost"]), now).unwrap());
        assert!(ensure_dev_tls(&paths, &hosts(&["custos.example.test"]), now).unwrap());
        assert_eq!(std::fs::read(&paths.ca_cert).unwrap(), ca, "the CA must not change");
        let names = std::fs::read_to_string(dir.path().join("tls/server.names")).unwrap();
        assert!(names.contains("custos.example.test") && names.contains("127.0.0.1"));
        custos_listener::load_server_config(&paths.server_cert, &paths.server_key).unwrap();
        // Entra host names: every name at once, the earlier ones kept.
        let entra = custos_core::origins::Origins::entra().host_names();
        assert!(ensure_dev_tls(&paths, &entra, now).unwrap());
        assert!(!ensure_dev_tls(&paths, &entra, now).unwrap());
        let names = std::fs::read_to_string(dir.path().join("tls/server.names")).unwrap();
        for name in custos_core::origins::ENTRA_HOST_NAMES.iter().chain(&["custos.example.test", "localhost"])
        {
            assert!(names.lines().any(|l| l == *name), "{name} in {names}");
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&paths.server_key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
