//! Certificates & secrets of an app registration: client secrets (`addPassword`, the value
//! shown once; `removePassword`), certificates (uploaded `.cer`/`.pem`/`.crt`, written as a
//! PATCH of `keyCredentials` that keeps the others, as the Azure portal does) and federated
//! credentials.

use super::{Notice, done};
use crate::api::{ApiError, encode};
use crate::form::{CSRF_FIELD, Ctx, Posted, forged};
use crate::layout::{self, s};
use crate::pages::apps::{app_page, load};
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use maud::{Markup, html};
use serde_json::{Value, json};

/// Secret lifetimes offered, in days, with the Azure portal's labels.
const LIFETIMES: &[(u32, &str)] = &[
    (90, "90 days (3 months)"),
    (180, "180 days (6 months)"),
    (365, "365 days (12 months)"),
    (730, "730 days (24 months)"),
];

/// What a finished post left to show: a new secret (once), or an error.
enum Outcome {
    None,
    Secret(Value),
    Error(ApiError),
}

/// The hexadecimal SHA-1 thumbprint of a `customKeyIdentifier` (base64), as portals show it.
fn thumbprint(custom_key_identifier: &str) -> String {
    STANDARD
        .decode(custom_key_identifier)
        .map(|bytes| bytes.iter().map(|b| format!("{b:02X}")).collect())
        .unwrap_or_else(|_| custom_key_identifier.to_owned())
}

async fn render(ctx: &Ctx, id: &str, notice: &Notice, outcome: Outcome) -> Response {
    let app = match load(ctx, id, "Certificates & secrets").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let federated = ctx
        .api()
        .get(&format!("/v1.0/applications/{}/federatedIdentityCredentials", encode(id)))
        .await
        .map(|v| layout::list(&v, "value").to_vec())
        .unwrap_or_default();
    let status = match &outcome {
        Outcome::Error(e) => e.status,
        _ => StatusCode::OK,
    };
    let action = |suffix: &str| format!("/portal/apps/{id}/{suffix}");
    let content = html! {
        (notice.banner(|d| match d {
            "secret-removed" => Some("The client secret was deleted."),
            "certificate-added" => Some("The certificate was uploaded."),
            "certificate-removed" => Some("The certificate was deleted."),
            "federated-added" => Some("The federated credential was added."),
            "federated-removed" => Some("The federated credential was deleted."),
            _ => None,
        }))
        @match &outcome {
            Outcome::Error(e) => (layout::api_error(e)),
            Outcome::Secret(secret) => div.secret role="status" {
                p { strong { "Copy the new client secret's value now." } " It is shown only once: custos keeps only a hash of it." }
                dl.facts {
                    dt { "Description" } dd { (s(secret, "displayName")) }
                    dt { "Value" } dd { (layout::copyable("secret-value", s(secret, "secretText"))) }
                    dt { "Secret ID" } dd { code { (s(secret, "keyId")) } }
                    dt { "Expires" } dd { (layout::when(secret, "endDateTime")) }
                }
            },
            Outcome::None => {},
        }
        h2 { "Certificates" }
        (certificates(ctx, &app, &action("certificates")))
        h2 { "Client secrets" }
        (secrets(ctx, &app, &action("secrets")))
        h2 { "Federated credentials" }
        (federated_credentials(ctx, &federated, &action("federated")))
    };
    app_page(ctx, &app, "/credentials", status, content)
}

fn certificates(ctx: &Ctx, app: &Value, action: &str) -> Markup {
    html! {
        div.scroll { table.stack {
            thead { tr { th { "Thumbprint" } th { "Description" } th { "Start date" } th { "Expires" } th { "Certificate ID" } th {} } }
            tbody {
                @for key in layout::list(app, "keyCredentials") {
                    tr {
                        td data-label="Thumbprint" { code { (thumbprint(s(key, "customKeyIdentifier"))) } }
                        td data-label="Description" { (s(key, "displayName")) }
                        td data-label="Start" { (layout::when(key, "startDateTime")) }
                        td data-label="Expires" { (layout::when(key, "endDateTime")) }
                        td data-label="ID" { code { (s(key, "keyId")) } }
                        td { form.inline method="post" action={ (action) "/" (s(key, "keyId")) "/delete" } data-confirm="Delete this certificate?" {
                            (ctx.csrf()) button.danger type="submit" { "Delete" }
                        } }
                    }
                }
            }
        } }
        form.panel method="post" action=(action) enctype="multipart/form-data" {
            (ctx.csrf())
            label for="certificate" { "Upload certificate (public key, .cer, .pem or .crt)" }
            input #certificate type="file" name="certificate" accept=".cer,.pem,.crt" required;
            label for="certificate-description" { "Description (optional)" }
            input #certificate-description type="text" name="description";
            div.actions { button type="submit" { "Add" } }
        }
    }
}

fn secrets(ctx: &Ctx, app: &Value, action: &str) -> Markup {
    html! {
        div.scroll { table.stack {
            thead { tr { th { "Description" } th { "Expires" } th { "Value" } th { "Secret ID" } th {} } }
            tbody {
                @for secret in layout::list(app, "passwordCredentials") {
                    tr {
                        td data-label="Description" { (s(secret, "displayName")) }
                        td data-label="Expires" { (layout::when(secret, "endDateTime")) }
                        td data-label="Value" { code { (s(secret, "hint")) "***" } }
                        td data-label="ID" { code { (s(secret, "keyId")) } }
                        td { form.inline method="post" action={ (action) "/" (s(secret, "keyId")) "/delete" } data-confirm="Delete this client secret?" {
                            (ctx.csrf()) button.danger type="submit" { "Delete" }
                        } }
                    }
                }
            }
        } }
        form.panel method="post" action=(action) {
            (ctx.csrf())
            label for="secret-description" { "Description" }
            input #secret-description type="text" name="description";
            label for="secret-expires" { "Expires" }
            select #secret-expires name="days" {
                @for (days, label) in LIFETIMES { option value=(days) selected[*days == 180] { (label) } }
            }
            div.actions { button type="submit" { "New client secret" } }
        }
    }
}

fn federated_credentials(ctx: &Ctx, federated: &[Value], action: &str) -> Markup {
    html! {
        div.scroll { table.stack {
            thead { tr { th { "Name" } th { "Issuer" } th { "Subject" } th { "Audiences" } th {} } }
            tbody {
                @for credential in federated {
                    tr {
                        td data-label="Name" { (s(credential, "name")) }
                        td data-label="Issuer" { code { (s(credential, "issuer")) } }
                        td data-label="Subject" { code { (s(credential, "subject")) } }
                        td data-label="Audiences" {
                            (layout::list(credential, "audiences").iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
                        }
                        td { form.inline method="post" action={ (action) "/" (s(credential, "id")) "/delete" } data-confirm="Delete this federated credential?" {
                            (ctx.csrf()) button.danger type="submit" { "Delete" }
                        } }
                    }
                }
            }
        } }
        form.panel method="post" action=(action) {
            (ctx.csrf())
            label for="fic-name" { "Name" }
            input #fic-name type="text" name="name" required;
            label for="fic-issuer" { "Issuer" }
            input #fic-issuer type="text" name="issuer" required placeholder="https://token.actions.githubusercontent.com";
            label for="fic-subject" { "Subject identifier" }
            input #fic-subject type="text" name="subject" required placeholder="repo:contoso/app:environment:prod";
            label for="fic-audience" { "Audience" }
            input #fic-audience type="text" name="audience" value="api://AzureADTokenExchange";
            label for="fic-description" { "Description (optional)" }
            input #fic-description type="text" name="description";
            div.actions { button type="submit" { "Add federated credential" } }
        }
    }
}

/// `GET /portal/apps/{id}/credentials`
pub(crate) async fn show(ctx: Ctx, Path(id): Path<String>, Query(notice): Query<Notice>) -> Response {
    render(&ctx, &id, &notice, Outcome::None).await
}

/// `POST /portal/apps/{id}/secrets`: `addPassword`, then the secret, once.
pub(crate) async fn add_secret(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let days: i64 = fields.get("days").and_then(|d| d.parse().ok()).unwrap_or(180);
    let end = ctx.portal.clock.now() + time::Duration::days(days);
    let end = end.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let mut credential = json!({ "endDateTime": end });
    if let Some(description) = fields.get("description") {
        credential["displayName"] = json!(description);
    }
    let body = json!({ "passwordCredential": credential });
    let outcome = match ctx.api().post(&format!("/v1.0/applications/{}/addPassword", encode(&id)), body).await
    {
        Ok(secret) => Outcome::Secret(secret),
        Err(e) => Outcome::Error(e),
    };
    render(&ctx, &id, &Notice::default(), outcome).await
}

/// `POST /portal/apps/{id}/secrets/{key}/delete`: `removePassword`.
pub(crate) async fn remove_secret(
    Path((id, key)): Path<(String, String)>,
    Posted { ctx, .. }: Posted,
) -> Response {
    let body = json!({ "keyId": key });
    match ctx.api().post(&format!("/v1.0/applications/{}/removePassword", encode(&id)), body).await {
        Ok(_) => done(&format!("/portal/apps/{id}/credentials"), "secret-removed"),
        Err(e) => render(&ctx, &id, &Notice::default(), Outcome::Error(e)).await,
    }
}

/// The certificate of an uploaded file as `keyCredentials` accepts it: PEM text as is,
/// DER as base64.
pub(crate) fn certificate_text(file: &[u8]) -> String {
    match std::str::from_utf8(file) {
        Ok(text) if text.contains("-----BEGIN") => text.to_owned(),
        Ok(text) if file.first().is_none_or(|b| *b != 0x30) => text.split_whitespace().collect(),
        _ => STANDARD.encode(file),
    }
}

/// A multipart upload: its anti-CSRF token checked, the file and the text fields.
pub(crate) struct Upload {
    pub(crate) file: Vec<u8>,
    pub(crate) description: Option<String>,
}

/// Reads an upload form whose file field is `file_field`; `Err` is the page to answer with.
pub(crate) async fn read_upload(
    ctx: &Ctx,
    mut multipart: Multipart,
    file_field: &str,
) -> Result<Upload, Response> {
    let (mut csrf, mut file, mut description) = (None, Vec::new(), None);
    let unreadable =
        || layout::message(StatusCode::BAD_REQUEST, "Upload failed", "The upload could not be read.");
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|_| unreadable())?;
        match name.as_str() {
            CSRF_FIELD => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "description" => {
                description =
                    Some(String::from_utf8_lossy(&bytes).trim().to_owned()).filter(|d| !d.is_empty());
            }
            other if other == file_field => file = bytes.to_vec(),
            _ => {}
        }
    }
    if !ctx.csrf_ok(csrf.as_deref()) {
        return Err(forged());
    }
    Ok(Upload { file, description })
}

/// The application's certificates as a PATCH keeps them (by `keyId`).
fn kept_keys(app: &Value, except: Option<&str>) -> Vec<Value> {
    layout::list(app, "keyCredentials")
        .iter()
        .filter(|k| Some(s(k, "keyId")) != except)
        .map(|k| json!({ "keyId": s(k, "keyId"), "type": "AsymmetricX509Cert", "usage": "Verify" }))
        .collect()
}

/// `POST /portal/apps/{id}/certificates` (multipart): PATCH `keyCredentials` with the new one.
pub(crate) async fn upload_certificate(ctx: Ctx, Path(id): Path<String>, multipart: Multipart) -> Response {
    let upload = match read_upload(&ctx, multipart, "certificate").await {
        Ok(upload) => upload,
        Err(page) => return page,
    };
    let app = match load(&ctx, &id, "Certificates & secrets").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    if upload.file.is_empty() {
        let error = ApiError::bad_request("Choose a certificate file (.cer, .pem or .crt) to upload.");
        return render(&ctx, &id, &Notice::default(), Outcome::Error(error)).await;
    }
    let mut keys = kept_keys(&app, None);
    let mut added =
        json!({ "type": "AsymmetricX509Cert", "usage": "Verify", "key": certificate_text(&upload.file) });
    if let Some(description) = upload.description {
        added["displayName"] = json!(description);
    }
    keys.push(added);
    match ctx
        .api()
        .patch(&format!("/v1.0/applications/{}", encode(&id)), json!({ "keyCredentials": keys }))
        .await
    {
        Ok(_) => done(&format!("/portal/apps/{id}/credentials"), "certificate-added"),
        Err(e) => render(&ctx, &id, &Notice::default(), Outcome::Error(e)).await,
    }
}

/// `POST /portal/apps/{id}/certificates/{key}/delete`: PATCH `keyCredentials` without it.
pub(crate) async fn remove_certificate(
    Path((id, key)): Path<(String, String)>,
    Posted { ctx, .. }: Posted,
) -> Response {
    let app = match load(&ctx, &id, "Certificates & secrets").await {
        Ok(app) => app,
        Err(page) => return page,
    };
    let keys = kept_keys(&app, Some(&key));
    match ctx
        .api()
        .patch(&format!("/v1.0/applications/{}", encode(&id)), json!({ "keyCredentials": keys }))
        .await
    {
        Ok(_) => done(&format!("/portal/apps/{id}/credentials"), "certificate-removed"),
        Err(e) => render(&ctx, &id, &Notice::default(), Outcome::Error(e)).await,
    }
}

/// `POST /portal/apps/{id}/federated`: creates a federated identity credential.
pub(crate) async fn add_federated(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let mut body = json!({
        "name": fields.text("name"),
        "issuer": fields.text("issuer"),
        "subject": fields.text("subject"),
        "audiences": [fields.get("audience").unwrap_or("api://AzureADTokenExchange")],
    });
    if let Some(description) = fields.get("description") {
        body["description"] = json!(description);
    }
    match ctx
        .api()
        .post(&format!("/v1.0/applications/{}/federatedIdentityCredentials", encode(&id)), body)
        .await
    {
        Ok(_) => done(&format!("/portal/apps/{id}/credentials"), "federated-added"),
        Err(e) => render(&ctx, &id, &Notice::default(), Outcome::Error(e)).await,
    }
}

/// `POST /portal/apps/{id}/federated/{key}/delete`
pub(crate) async fn remove_federated(
    Path((id, key)): Path<(String, String)>,
    Posted { ctx, .. }: Posted,
) -> Response {
    let path = format!("/v1.0/applications/{}/federatedIdentityCredentials/{}", encode(&id), encode(&key));
    match ctx.api().delete(&path).await {
        Ok(_) => done(&format!("/portal/apps/{id}/credentials"), "federated-removed"),
        Err(e) => render(&ctx, &id, &Notice::default(), Outcome::Error(e)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_become_pem_or_base64_der() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert_eq!(certificate_text(pem.as_bytes()), pem);
        assert_eq!(certificate_text(&[0x30, 0x82, 0x01, 0xff]), "MIIB/w==");
        assert_eq!(certificate_text(b" MIIB\r\nAAAA \n"), "MIIBAAAA");
        assert_eq!(thumbprint("q83v"), "ABCDEF");
    }
}
