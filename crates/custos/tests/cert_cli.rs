//! End-to-end test of `custos cert ...` as a user runs it: `custos init`, `custos serve`, then
//! `cert create`, `cert add`, `cert list` and `cert remove` as separate processes talking HTTPS
//! to that server with the profile `init` wrote.

mod common;

use common::{admin, admin_json, init_and_serve};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn an_admin_creates_adds_lists_and_removes_client_certificates() {
    let (dir, data, _init, server) = init_and_serve(&[]);
    let app = admin_json(&server, &data, &["app", "create", "Cert Daemon"]);
    let app_id = app["appId"].as_str().unwrap().to_owned();

    // create: key pair + self-signed certificate, written to DIR and registered.
    let out_dir = dir.path().join("certs");
    let out_arg = out_dir.to_str().unwrap();
    let created = admin_json(
        &server,
        &data,
        &[
            "cert",
            "create",
            "--app",
            "Cert Daemon",
            "--out",
            out_arg,
            "--days",
            "30",
            "--subject",
            "Billing Daemon",
        ],
    );
    assert_eq!(created["appId"], app_id.as_str());
    assert_eq!(created["subject"], "CN=Billing Daemon");
    let thumbprint = created["thumbprint"].as_str().unwrap().to_owned();
    assert_eq!(thumbprint.len(), 40);
    assert!(thumbprint.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)), "{thumbprint}");
    assert_eq!(created["x5t"].as_str().unwrap().len(), 27);
    let key_file = out_dir.join("billing-daemon.key.pem");
    let cert_file = out_dir.join("billing-daemon.cert.pem");
    let combined = out_dir.join("billing-daemon.pem");
    assert_eq!(created["files"]["keyAndCertificate"], combined.to_str().unwrap());
    assert_eq!(mode(&key_file), 0o600);
    assert_eq!(mode(&combined), 0o600);
    let combined_text = std::fs::read_to_string(&combined).unwrap();
    assert!(combined_text.starts_with("-----BEGIN PRIVATE KEY-----"), "key first, then the certificate");
    assert!(combined_text.ends_with(&std::fs::read_to_string(&cert_file).unwrap()));
    let refused = String::from_utf8(
        admin(
            &server,
            &data,
            &["cert", "create", "--app", &app_id, "--out", out_arg, "--subject", "Billing Daemon"],
        )
        .stderr,
    )
    .unwrap();
    assert!(
        refused.contains("billing-daemon.key.pem already exists"),
        "files are never overwritten: {refused}"
    );

    // add: a DER certificate file; the weak and the duplicate ones are refused.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let second =
        rcgen::CertificateParams::new(vec!["second.example".to_owned()]).unwrap().self_signed(&key).unwrap();
    let der_file = dir.path().join("second.cer");
    std::fs::write(&der_file, second.der()).unwrap();
    let added = admin_json(
        &server,
        &data,
        &["cert", "add", "--app", &app_id, "--cert", der_file.to_str().unwrap(), "--name", "rollover"],
    );
    let second_key_id = added["keyId"].as_str().unwrap().to_owned();
    let weak = dir.path().join("weak.pem");
    std::fs::write(&weak, include_str!("fixtures/rsa1024.cert.pem")).unwrap();
    let out = admin(&server, &data, &["cert", "add", "--app", &app_id, "--cert", weak.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "The certificate's RSA key is 1024 bits long. The key length must be at least 2048 bits."
        ),
        "{stderr}"
    );
    let out =
        admin(&server, &data, &["cert", "add", "--app", &app_id, "--cert", cert_file.to_str().unwrap()]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("answered 400 Request_BadRequest: The certificate with thumbprint {thumbprint} is already registered on the application.")),
        "{stderr}"
    );

    // list: both, with Azure's thumbprints; the table too.
    let listed = admin_json(&server, &data, &["cert", "list", "--app", "Cert Daemon"]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["keyId"], created["keyId"]);
    assert_eq!(listed[0]["thumbprint"], thumbprint.as_str());
    assert_eq!(listed[0]["x5t"], created["x5t"]);
    assert_eq!(listed[0]["x5t#S256"], created["x5t#S256"]);
    assert_eq!(listed[0]["x5t#S256"].as_str().unwrap().len(), 43);
    assert_eq!(listed[1]["keyId"], second_key_id.as_str());
    assert_eq!(listed[1]["displayName"], "rollover");
    let table = String::from_utf8(admin(&server, &data, &["cert", "list", "--app", &app_id]).stdout).unwrap();
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["KEY", "ID", "THUMBPRINT", "X5T", "X5T#S256", "SUBJECT", "STARTS", "EXPIRES"]);
    let x5t_s256 = created["x5t#S256"].as_str().unwrap();
    assert!(
        table
            .lines()
            .any(|l| l.contains(&thumbprint) && l.contains(x5t_s256) && l.contains("CN=Billing Daemon")),
        "the x5t#S256 the README promises is in the table: {table}"
    );

    // remove: the first; an unknown key id is an error naming the application.
    let first_key_id = created["keyId"].as_str().unwrap();
    let removed = admin_json(&server, &data, &["cert", "remove", "--app", &app_id, first_key_id]);
    assert_eq!(removed["removed"], true);
    let listed = admin_json(&server, &data, &["cert", "list", "--app", &app_id]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["keyId"], second_key_id.as_str());
    let out = admin(&server, &data, &["cert", "remove", "--app", &app_id, first_key_id]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("Cert Daemon ({app_id}) has no certificate with key id {first_key_id}")),
        "{stderr}"
    );
}
