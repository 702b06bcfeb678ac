//! Tests of `connection.rs`.

use super::*;
use std::collections::HashMap;

fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name| map.get(name).cloned()
}

fn write_profile(dir: &Path, secret: Option<&str>) -> PathBuf {
    let path = dir.join("admin.json");
    let body = serde_json::json!({
        "publicUrl": "https://localhost:8443",
        "tenantId": "11111111-1111-1111-1111-111111111111",
        "tenantDomain": "default.custos.local",
        "adminClientId": "22222222-2222-2222-2222-222222222222",
        "adminClientSecret": secret,
        "caCertPath": dir.join("tls/ca.pem").display().to_string(),
        "graphBaseUrl": "https://localhost:8443/v1.0",
    });
    std::fs::write(&path, body.to_string()).unwrap();
    path
}

fn args_with_profile(path: &Path) -> ConnectionArgs {
    ConnectionArgs { profile: Some(path.to_owned()), ..ConnectionArgs::default() }
}

#[test]
fn the_profile_alone_is_enough() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_profile(dir.path(), Some("s3cret"));
    let conn = args_with_profile(&path).resolve(&env_of(&[])).unwrap();
    assert_eq!(conn.server, "https://localhost:8443");
    assert_eq!(conn.tenant, "11111111-1111-1111-1111-111111111111");
    assert_eq!(conn.client_id, "22222222-2222-2222-2222-222222222222");
    assert_eq!(conn.client_secret.expose(), "s3cret");
    assert_eq!(conn.ca, Some(dir.path().join("tls/ca.pem")));
    assert_eq!(conn.profile, Some(path));
}

#[test]
fn flags_beat_environment_and_environment_beats_profile() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_profile(dir.path(), Some("profile-secret"));
    let env = env_of(&[
        ("CUSTOS_SERVER", "https://env.example:1/"),
        ("CUSTOS_TENANT", "env-tenant"),
        ("CUSTOS_CA", "/env/ca.pem"),
    ]);
    let mut args = args_with_profile(&path);
    let conn = args.resolve(&env).unwrap();
    assert_eq!(conn.server, "https://env.example:1", "env beats profile, trailing slash dropped");
    assert_eq!(conn.tenant, "env-tenant");
    assert_eq!(conn.ca, Some(PathBuf::from("/env/ca.pem")));
    assert_eq!(conn.client_secret.expose(), "profile-secret");

    args.server = Some("https://flag.example".to_owned());
    args.tenant = Some("flag-tenant".to_owned());
    args.ca = Some(PathBuf::from("/flag/ca.pem"));
    let conn = args.resolve(&env).unwrap();
    assert_eq!(conn.server, "https://flag.example");
    assert_eq!(conn.tenant, "flag-tenant");
    assert_eq!(conn.ca, Some(PathBuf::from("/flag/ca.pem")));
}

#[test]
fn secret_comes_from_flag_then_env_then_env_file_then_profile() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_profile(dir.path(), Some("profile-secret"));
    let file = dir.path().join("secret.txt");
    std::fs::write(&file, "file-secret\n").unwrap();
    let file_env = [("CUSTOS_CLIENT_SECRET_FILE", file.to_str().unwrap())];

    let mut args = args_with_profile(&path);
    assert_eq!(args.resolve(&env_of(&file_env)).unwrap().client_secret.expose(), "file-secret");
    let both = [file_env[0], ("CUSTOS_CLIENT_SECRET", "env-secret")];
    assert_eq!(args.resolve(&env_of(&both)).unwrap().client_secret.expose(), "env-secret");
    args.client_secret = Some(Secret::new("flag-secret".to_owned()));
    assert_eq!(args.resolve(&env_of(&both)).unwrap().client_secret.expose(), "flag-secret");
}

#[test]
fn the_profile_secret_is_never_used_for_another_client() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_profile(dir.path(), Some("admin-secret"));
    let args = ConnectionArgs { client_id: Some("other-app".to_owned()), ..args_with_profile(&path) };
    let err = args.resolve(&env_of(&[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no client secret for client other-app: pass --client-secret, or set CUSTOS_CLIENT_SECRET \
         or CUSTOS_CLIENT_SECRET_FILE"
    );
}

#[test]
fn a_null_profile_secret_says_where_to_put_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_profile(dir.path(), None);
    let err = args_with_profile(&path).resolve(&env_of(&[])).unwrap_err();
    let expected = format!(
        "no client secret for client 22222222-2222-2222-2222-222222222222: pass --client-secret, or set \
         CUSTOS_CLIENT_SECRET or CUSTOS_CLIENT_SECRET_FILE, or put it into \"adminClientSecret\" in {} \
         (init shows a secret only once)",
        path.display()
    );
    assert_eq!(err.to_string(), expected);
}

#[test]
fn missing_values_name_flag_variable_and_profile() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("nowhere/admin.json");
    // Only the default profile may be absent; a profile named explicitly must exist.
    let err = args_with_profile(&absent).resolve(&env_of(&[])).unwrap_err();
    assert!(matches!(err, ConfigError::ProfileUnreadable { .. }), "{err}");

    let path = dir.path().join("partial.json");
    std::fs::write(&path, r#"{"tenantId":"t"}"#).unwrap();
    let err = args_with_profile(&path).resolve(&env_of(&[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no server given: pass --server URL, set CUSTOS_SERVER, or run `custos init` to write a \
             profile (the profile {} does not say)",
            path.display()
        )
    );
}

#[test]
fn plain_http_servers_are_refused() {
    let args = ConnectionArgs {
        server: Some("http://localhost:8443".to_owned()),
        tenant: Some("t".to_owned()),
        client_id: Some("c".to_owned()),
        client_secret: Some(Secret::new("s".to_owned())),
        ca: Some(PathBuf::from("/ca.pem")),
        ..ConnectionArgs::default()
    };
    let err = args.resolve(&env_of(&[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the server URL 'http://localhost:8443' must start with https:// (custos serves only HTTPS)"
    );
}

#[test]
fn output_format_comes_from_flag_then_environment() {
    let mut args = ConnectionArgs::default();
    assert_eq!(args.output_format(&env_of(&[])).unwrap(), OutputFormat::Table);
    assert_eq!(args.output_format(&env_of(&[("CUSTOS_OUTPUT", "JSON")])).unwrap(), OutputFormat::Json);
    args.output = Some(OutputFormat::Table);
    assert_eq!(args.output_format(&env_of(&[("CUSTOS_OUTPUT", "json")])).unwrap(), OutputFormat::Table);
    let err = ConnectionArgs::default().output_format(&env_of(&[("CUSTOS_OUTPUT", "yaml")])).unwrap_err();
    assert_eq!(err.to_string(), "unknown output format 'yaml' in CUSTOS_OUTPUT: use table or json");
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    let args = ConnectionArgs {
        client_secret: Some(Secret::new("hunter2".to_owned())),
        ..ConnectionArgs::default()
    };
    assert!(!format!("{args:?}").contains("hunter2"));
}
