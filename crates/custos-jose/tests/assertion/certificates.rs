//! Client-certificate parsing: DER, PEM and base64 forms, thumbprint encodings, key checks.

use super::support::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use custos_jose::cert::{CertificateError, ClientCertificate, KeyKind};
use rcgen::{CertificateParams, KeyPair, PKCS_ECDSA_P384_SHA384, PKCS_ED25519};

fn sha(algorithm: &'static aws_lc_rs::digest::Algorithm, bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(algorithm, bytes).as_ref().to_vec()
}

fn self_signed(algorithm: &'static rcgen::SignatureAlgorithm) -> Vec<u8> {
    let key = KeyPair::generate_for(algorithm).unwrap();
    CertificateParams::new(vec!["x.test".to_owned()]).unwrap().self_signed(&key).unwrap().der().to_vec()
}

#[test]
fn der_pem_and_base64_forms_parse_to_the_same_certificate() {
    let cert = &client().cert;
    let der = cert.der();
    let pem = &client().cert_pem;
    let base64 = STANDARD.encode(der);
    let wrapped = format!(
        "  {}\r\n",
        base64
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n")
    );
    let key_first = format!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n{pem}");
    for parsed in [
        ClientCertificate::from_der(der),
        ClientCertificate::from_pem(pem),
        ClientCertificate::from_pem(&key_first),
        ClientCertificate::from_any(der),
        ClientCertificate::from_any(pem.as_bytes()),
        ClientCertificate::from_any(base64.as_bytes()),
        ClientCertificate::from_any(wrapped.as_bytes()),
    ] {
        let parsed = parsed.unwrap();
        assert_eq!(parsed.der(), der);
        assert_eq!(parsed.thumbprint_sha1(), cert.thumbprint_sha1());
    }
}

#[test]
fn thumbprints_and_their_encodings() {
    let cert = &client().cert;
    let sha1 = sha(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, cert.der());
    let sha256 = sha(&aws_lc_rs::digest::SHA256, cert.der());
    assert_eq!(cert.thumbprint_sha1().as_slice(), sha1);
    assert_eq!(cert.thumbprint_sha256().as_slice(), sha256);
    assert_eq!(cert.x5t().len(), 27);
    assert!(!cert.x5t().contains(['=', '+', '/']));
    assert_eq!(cert.x5t_s256().len(), 43);
    assert_eq!(cert.custom_key_identifier(), STANDARD.encode(&sha1));
    assert!(cert.custom_key_identifier().ends_with('='));
    assert_eq!(cert.thumbprint_hex(), upper_hex(&sha1));
}

#[test]
fn key_kind_validity_and_subject() {
    let cert = &client().cert;
    assert_eq!(cert.key_kind(), KeyKind::Rsa { bits: 2048 });
    assert_eq!(cert.subject(), "CN=contoso daemon");
    assert_eq!(cert.not_before().unix_timestamp(), NOW - 86_400);
    assert_eq!(cert.not_after().unix_timestamp(), NOW + 365 * 86_400);
    assert_eq!(ec_client().cert.key_kind(), KeyKind::EcP256);
    let debug = format!("{cert:?}");
    assert!(debug.contains(&cert.thumbprint_hex()) && !debug.contains(&STANDARD.encode(cert.der())[..40]));
}

#[test]
fn short_rsa_keys_are_refused_with_entra_wording() {
    let short = ClientCertificate::from_pem(include_str!("../fixtures/rsa1024.pem")).unwrap_err();
    assert_eq!(short, CertificateError::RsaKeyTooShort { bits: 1024 });
    assert!(short.to_string().contains("Shorter key lengths are not accepted"), "{short}");
}

#[test]
fn other_key_types_are_unsupported() {
    for algorithm in [&PKCS_ED25519, &PKCS_ECDSA_P384_SHA384] {
        assert_eq!(
            ClientCertificate::from_der(&self_signed(algorithm)).unwrap_err(),
            CertificateError::UnsupportedKeyType
        );
    }
}

#[test]
fn non_certificates_are_refused() {
    let der = client().cert.der();
    let not_a_certificate = |e: CertificateError| matches!(e, CertificateError::NotACertificate(_));
    let mut trailing = der.to_vec();
    trailing.push(0);
    let truncated = &der[..der.len() - 10];
    let key_only = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    let inputs: [&[u8]; 7] =
        [&trailing, truncated, b"", b"hello world", b"MIIB$$", key_only.as_bytes(), &[0xff, 0xfe]];
    for input in inputs {
        assert!(not_a_certificate(ClientCertificate::from_any(input).unwrap_err()), "{input:?}");
    }
    assert!(not_a_certificate(ClientCertificate::from_pem(key_only).unwrap_err()));
    assert!(not_a_certificate(ClientCertificate::from_der(&trailing).unwrap_err()));
}
