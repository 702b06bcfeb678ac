//! `custos cert ...`: certificate credentials of an application (Graph `keyCredentials`).
//!
//! `add` registers a certificate file, `create` generates a key pair and self-signed
//! certificate first ([`super::cert_files`]), `list` shows thumbprints as Azure does (SHA-1
//! upper-case hex) with the `x5t` and `x5t#S256` clients send, `remove` drops one by key id.
//! Changes are made the Graph way for an application that may hold no certificate yet: read the
//! current list with `$select=keyCredentials` (which includes the certificates) and PATCH the
//! whole list back.

use super::api::Api;
use super::app::object_path;
use super::cert_files::{self, CertPaths};
use super::error::AdminError;
use super::resolve::{Collection, resolve};
use crate::output::{Report, Table, details, field};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use custos_core::Clock;
use custos_jose::cert::ClientCertificate;
use serde_json::{Value, json};
use std::path::PathBuf;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// Longest validity `cert create` gives a certificate.
const MAX_DAYS: u32 = 3650;
/// Largest certificate file `cert add` reads.
const MAX_CERT_FILE: u64 = 64 * 1024;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum CertCommand {
    /// Register a certificate (.pem, .cer or .der) on an application.
    Add {
        /// appId, object id or exact display name.
        #[arg(long, value_name = "APP")]
        app: String,
        /// The certificate file: PEM, DER, or base64 DER.
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
        /// A display name [default: the certificate's subject].
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// List an application's certificates with their thumbprints.
    List {
        /// appId, object id or exact display name.
        #[arg(long, value_name = "APP")]
        app: String,
    },
    /// Remove a certificate by its key id.
    Remove {
        /// appId, object id or exact display name.
        #[arg(long, value_name = "APP")]
        app: String,
        /// The keyId shown by `custos cert list`.
        key_id: String,
    },
    /// Generate an RSA-2048 key and self-signed certificate for a client, write them to DIR and
    /// register the certificate.
    Create {
        /// appId, object id or exact display name.
        #[arg(long, value_name = "APP")]
        app: String,
        /// Directory for NAME.key.pem, NAME.cert.pem and NAME.pem (key + certificate).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Days the certificate is valid.
        #[arg(long, value_name = "N", default_value_t = 365,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_DAYS)))]
        days: u32,
        /// Common name of the certificate's subject [default: the application's display name].
        #[arg(long, value_name = "CN")]
        subject: Option<String>,
    },
}

pub(crate) async fn run(api: &Api, clock: &dyn Clock, command: CertCommand) -> Result<Report, AdminError> {
    match command {
        CertCommand::Add { app, cert, name } => {
            let certificate = read_certificate(&cert)?;
            let app = resolve(api, Collection::Applications, &app).await?;
            let key_id = register(api, &app, &certificate, name.as_deref()).await?;
            let summary = summary(&app, &certificate, key_id);
            let text = registered_text(&summary, &[]);
            Ok(Report::new(summary, text))
        }
        CertCommand::List { app } => {
            let app = resolve(api, Collection::Applications, &app).await?;
            let rows: Vec<Value> = key_credentials(api, &app).await?.iter().map(describe).collect();
            let text = certs_table(&rows).render_or("no certificates");
            Ok(Report::new(Value::Array(rows), text))
        }
        CertCommand::Remove { app, key_id } => {
            let key_id: Uuid = key_id.parse().map_err(|_| {
                AdminError::Usage(format!("'{key_id}' is not a key id (a GUID from `custos cert list`)"))
            })?;
            let app = resolve(api, Collection::Applications, &app).await?;
            let mut list = key_credentials(api, &app).await?;
            let before = list.len();
            list.retain(|k| k["keyId"].as_str().and_then(|id| id.parse::<Uuid>().ok()) != Some(key_id));
            if list.len() == before {
                return Err(AdminError::Usage(format!(
                    "{} ({}) has no certificate with key id {key_id}\nhint: `custos cert list --app {}` shows them",
                    field(&app, "displayName"),
                    field(&app, "appId"),
                    field(&app, "appId"),
                )));
            }
            api.patch(&object_path(&app), &json!({"keyCredentials": list})).await?;
            let text = format!(
                "removed certificate {key_id} from {} ({})\n",
                field(&app, "displayName"),
                field(&app, "appId")
            );
            Ok(Report::new(
                json!({"appId": app["appId"], "keyId": key_id.to_string(), "removed": true}),
                text,
            ))
        }
        CertCommand::Create { app, out, days, subject } => {
            let app = resolve(api, Collection::Applications, &app).await?;
            let common_name = subject.unwrap_or_else(|| field(&app, "displayName"));
            let generated = cert_files::generate(&common_name, clock.now(), days)?;
            let certificate = ClientCertificate::from_der(&generated.certificate_der)
                .map_err(|e| AdminError::Usage(format!("the generated certificate is unusable: {e}")))?;
            let paths = CertPaths::new(&out, &cert_files::file_stem(&common_name));
            cert_files::write(&generated, &paths)?;
            let key_id = register(api, &app, &certificate, None).await?;
            let mut summary = summary(&app, &certificate, key_id);
            summary["files"] = json!({
                "key": paths.key.display().to_string(),
                "certificate": paths.certificate.display().to_string(),
                "keyAndCertificate": paths.combined.display().to_string(),
            });
            let files = [
                ("private key", paths.key.display().to_string()),
                ("certificate", paths.certificate.display().to_string()),
                ("key + cert", paths.combined.display().to_string()),
            ];
            let text = registered_text(&summary, &files);
            Ok(Report::new(summary, text))
        }
    }
}

/// Reads and checks a certificate file (PEM, DER or base64 DER).
fn read_certificate(path: &std::path::Path) -> Result<ClientCertificate, AdminError> {
    let unreadable = |e: std::io::Error| AdminError::Usage(format!("cannot read {}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_CERT_FILE {
        return Err(AdminError::Usage(format!(
            "{} is {size} bytes, too large for a certificate (at most {MAX_CERT_FILE})",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    ClientCertificate::from_any(&bytes).map_err(|e| AdminError::Usage(format!("{}: {e}", path.display())))
}

/// The application's key credentials, certificates included (`$select=keyCredentials`).
async fn key_credentials(api: &Api, app: &Value) -> Result<Vec<Value>, AdminError> {
    let current = api.get_with_query(&object_path(app), &[("$select", "keyCredentials")]).await?;
    Ok(current.get("keyCredentials").and_then(Value::as_array).cloned().unwrap_or_default())
}

/// Appends `certificate` to the application's key credentials; returns its new key id.
async fn register(
    api: &Api,
    app: &Value,
    certificate: &ClientCertificate,
    display_name: Option<&str>,
) -> Result<Uuid, AdminError> {
    let mut list = key_credentials(api, app).await?;
    let key_id = Uuid::new_v4();
    let mut entry = json!({
        "customKeyIdentifier": certificate.custom_key_identifier(),
        "keyId": key_id.to_string(),
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "key": STANDARD.encode(certificate.der()),
    });
    if let Some(name) = display_name {
        entry["displayName"] = json!(name);
    }
    list.push(entry);
    api.patch(&object_path(app), &json!({"keyCredentials": list})).await?;
    Ok(key_id)
}

fn date(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn upper_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// What `add` and `create` report about a registered certificate.
fn summary(app: &Value, certificate: &ClientCertificate, key_id: Uuid) -> Value {
    json!({
        "appId": app["appId"],
        "application": app["displayName"],
        "keyId": key_id.to_string(),
        "thumbprint": certificate.thumbprint_hex(),
        "thumbprintSha256": upper_hex(certificate.thumbprint_sha256()),
        "x5t": certificate.x5t(),
        "x5t#S256": certificate.x5t_s256(),
        "subject": certificate.subject(),
        "startDateTime": date(certificate.not_before()),
        "endDateTime": date(certificate.not_after()),
    })
}

fn registered_text(summary: &Value, files: &[(&str, String)]) -> String {
    let mut pairs = vec![
        ("application", format!("{} ({})", field(summary, "application"), field(summary, "appId"))),
        ("key id", field(summary, "keyId")),
        ("thumbprint", field(summary, "thumbprint")),
        ("sha-256", field(summary, "thumbprintSha256")),
        ("x5t", field(summary, "x5t")),
        ("x5t#S256", field(summary, "x5t#S256")),
        ("subject", field(summary, "subject")),
        ("valid from", field(summary, "startDateTime")),
        ("valid until", field(summary, "endDateTime")),
    ];
    pairs.extend(files.iter().cloned());
    details(&pairs)
}

/// One listed key credential, with thumbprints computed from its certificate.
fn describe(credential: &Value) -> Value {
    let parsed = credential
        .get("key")
        .and_then(Value::as_str)
        .and_then(|k| ClientCertificate::from_any(k.as_bytes()).ok());
    json!({
        "keyId": credential["keyId"],
        "displayName": credential["displayName"],
        "thumbprint": parsed.as_ref().map(ClientCertificate::thumbprint_hex),
        "x5t": parsed.as_ref().map(ClientCertificate::x5t),
        "x5t#S256": parsed.as_ref().map(ClientCertificate::x5t_s256),
        "subject": parsed.as_ref().map(ClientCertificate::subject),
        "customKeyIdentifier": credential["customKeyIdentifier"],
        "startDateTime": credential["startDateTime"],
        "endDateTime": credential["endDateTime"],
    })
}

fn certs_table(rows: &[Value]) -> Table {
    let mut table = Table::new(&["KEY ID", "THUMBPRINT", "X5T", "X5T#S256", "SUBJECT", "STARTS", "EXPIRES"]);
    for row in rows {
        table.row([
            field(row, "keyId"),
            field(row, "thumbprint"),
            field(row, "x5t"),
            field(row, "x5t#S256"),
            field(row, "subject"),
            field(row, "startDateTime"),
            field(row, "endDateTime"),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn generated() -> (cert_files::GeneratedCert, ClientCertificate) {
        let generated = cert_files::generate("daemon", datetime!(2026-01-01 0:00 UTC), 365).unwrap();
        let parsed = ClientCertificate::from_der(&generated.certificate_der).unwrap();
        (generated, parsed)
    }

    #[test]
    fn listed_certificates_show_azure_thumbprints_and_x5t() {
        let (_, parsed) = generated();
        let credential = json!({
            "keyId": "k1", "displayName": "CN=daemon", "customKeyIdentifier": parsed.custom_key_identifier(),
            "key": STANDARD.encode(parsed.der()), "startDateTime": "2026-01-01T00:00:00Z",
            "endDateTime": "2027-01-01T00:00:00Z", "type": "AsymmetricX509Cert", "usage": "Verify",
        });
        let row = describe(&credential);
        assert_eq!(row["thumbprint"], parsed.thumbprint_hex());
        assert_eq!(row["thumbprint"].as_str().unwrap().len(), 40);
        assert_eq!(row["x5t"], parsed.x5t());
        assert_eq!(row["x5t#S256"], parsed.x5t_s256());
        assert_eq!(row["subject"], "CN=daemon");
        assert_eq!(
            certs_table(&[row]).render_or("no certificates"),
            format!(
                "KEY ID  THUMBPRINT{pad}  X5T{pad2}  X5T#S256{pad3}  SUBJECT    STARTS                EXPIRES\n\
                 k1      {}  {}  {}  CN=daemon  2026-01-01T00:00:00Z  2027-01-01T00:00:00Z\n",
                parsed.thumbprint_hex(),
                parsed.x5t(),
                parsed.x5t_s256(),
                pad = " ".repeat(30),
                pad2 = " ".repeat(24),
                pad3 = " ".repeat(35),
            )
        );
        assert_eq!(certs_table(&[]).render_or("no certificates"), "no certificates\n");
    }

    #[test]
    fn certificate_files_are_read_in_any_form_and_weak_keys_refused() {
        let (generated, parsed) = generated();
        let dir = tempfile::tempdir().unwrap();
        let der = dir.path().join("c.cer");
        std::fs::write(&der, &generated.certificate_der).unwrap();
        assert_eq!(read_certificate(&der).unwrap().thumbprint_hex(), parsed.thumbprint_hex());
        let b64 = dir.path().join("c.b64");
        std::fs::write(&b64, STANDARD.encode(&generated.certificate_der)).unwrap();
        assert_eq!(read_certificate(&b64).unwrap().thumbprint_hex(), parsed.thumbprint_hex());
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "hello").unwrap();
        assert_eq!(
            read_certificate(&junk).unwrap_err().to_string(),
            format!(
                "{}: The key credential is not a valid X.509 certificate: the value is neither DER, PEM nor base64.",
                junk.display()
            )
        );
    }

    #[test]
    fn the_summary_names_every_thumbprint_form() {
        let (_, parsed) = generated();
        let app = json!({"appId": "a1", "displayName": "Daemon"});
        let summary = summary(&app, &parsed, Uuid::nil());
        assert_eq!(summary["x5t#S256"], parsed.x5t_s256());
        assert_eq!(summary["thumbprintSha256"].as_str().unwrap().len(), 64);
        let text = registered_text(&summary, &[("private key", "/d/daemon.key.pem".to_owned())]);
        assert!(
            text.starts_with("application  Daemon (a1)\nkey id       00000000-0000-0000-0000-000000000000\n"),
            "{text}"
        );
        assert!(text.ends_with("private key  /d/daemon.key.pem\n"), "{text}");
    }
}
