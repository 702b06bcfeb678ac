//! Tests of `api.rs`.

use super::*;
use custos_core::Secret;
use std::path::PathBuf;

fn conn(server: &str, ca: Option<PathBuf>) -> Connection {
    Connection {
        server: server.to_owned(),
        tenant: "t".to_owned(),
        client_id: "c".to_owned(),
        client_secret: Secret::new("s".to_owned()),
        ca,
        profile: None,
    }
}

#[test]
fn graph_oauth_and_plain_errors_are_understood() {
    let graph = br#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist.","innerError":{}}}"#;
    assert_eq!(
        error_parts(StatusCode::NOT_FOUND, graph),
        ("Request_ResourceNotFound".to_owned(), "Resource 'x' does not exist.".to_owned())
    );
    let oauth = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[7000215]}"#;
    assert_eq!(
        error_parts(StatusCode::UNAUTHORIZED, oauth),
        ("invalid_client".to_owned(), "AADSTS7000215: Invalid client secret provided.".to_owned())
    );
    let spaced = br#"{"error":"invalid_scope","error_description":"AADSTS70011: Bad scope. Trace ID: 1 Correlation ID: 2"}"#;
    assert_eq!(
        error_parts(StatusCode::BAD_REQUEST, spaced),
        ("invalid_scope".to_owned(), "AADSTS70011: Bad scope.".to_owned())
    );
    assert_eq!(
        error_parts(StatusCode::BAD_GATEWAY, b"upstream down"),
        ("Bad Gateway".to_owned(), "upstream down".to_owned())
    );
    assert_eq!(error_parts(StatusCode::NOT_FOUND, b""), ("Not Found".to_owned(), "(no details)".to_owned()));
}

#[test]
fn a_missing_ca_file_is_named() {
    let Err(err) = Http::new(conn("https://localhost:1", Some(PathBuf::from("/nonexistent/ca.pem")))) else {
        panic!("a missing CA file must be an error");
    };
    assert!(err.to_string().starts_with("cannot use the CA file /nonexistent/ca.pem: "), "{err}");
}

#[test]
fn a_ca_file_without_certificates_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, "not a certificate").unwrap();
    let Err(err) = Http::new(conn("https://localhost:1", Some(path.clone()))) else {
        panic!("an empty CA file must be an error");
    };
    assert_eq!(
        err.to_string(),
        format!("cannot use the CA file {}: it holds no PEM certificate", path.display())
    );
}

#[tokio::test]
async fn a_refused_connection_asks_whether_the_server_runs() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = format!("https://127.0.0.1:{port}");
    let http = Http::new(conn(&server, None)).unwrap();
    let err = http.request_token(&TokenRequest::V2 { scope: DIRECTORY_SCOPE.to_owned() }).await.unwrap_err();
    assert!(matches!(err, AdminError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().ends_with(&format!("hint: is `custos serve` running at {server}?")), "{err}");
}

#[tokio::test]
async fn an_untrusted_certificate_asks_for_the_ca() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let private = rustls::pki_types::PrivateKeyDer::Pkcs8(key.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![key.cert.der().clone()], private)
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let tls = rustls::ServerConnection::new(std::sync::Arc::new(config)).unwrap();
        let mut stream = rustls::StreamOwned::new(tls, tcp);
        // The handshake fails on the client side; whatever happens here does not matter.
        let _ = std::io::Read::read(&mut stream, &mut [0u8; 64]);
    });
    let server_url = format!("https://127.0.0.1:{port}");
    let http = Http::new(conn(&server_url, None)).unwrap();
    let err = http.request_token(&TokenRequest::V2 { scope: "s".to_owned() }).await.unwrap_err();
    server.join().unwrap();
    assert!(matches!(err, AdminError::Tls { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!("TLS with {server_url} failed (invalid peer certificate")),
        "{err}"
    );
}
