//! Managed identities (custos' admin API): the list and creation, and for one identity the
//! credentials `custos agent` runs with (a certificate, or an endpoint secret shown once), its
//! app role assignments (granted through Graph, as for any service principal) and deletion.

use super::{Notice, done};
use crate::api::{ApiError, encode};
use crate::form::{Ctx, Posted};
use crate::layout::{self, Nav, s};
use crate::pages::credentials::{certificate_text, read_upload};
use crate::pages::enterprise::{held_roles, principals, role_options};
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde_json::{Value, json};

fn collection(ctx: &Ctx) -> String {
    format!("/admin/v1/tenants/{}/managedIdentities", encode(ctx.tenant()))
}

async fn render_list(ctx: &Ctx, notice: &Notice, error: Option<&ApiError>) -> Response {
    let identities = match ctx.api().get(&collection(ctx)).await {
        Ok(answer) => answer,
        Err(e) => return layout::failed(ctx, Nav::Identities, "Managed identities", &e),
    };
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let content = html! {
        (notice.banner(|d| (d == "deleted").then_some("The managed identity was deleted.")))
        (layout::maybe_error(error))
        div.scroll { table.stack {
            thead { tr { th { "Name" } th { "Client ID" } th { "Object (principal) ID" } } }
            tbody {
                @for identity in layout::list(&identities, "value") {
                    tr {
                        td data-label="Name" { a href={ "/portal/identities/" (s(identity, "id")) } { (s(identity, "displayName")) } }
                        td data-label="Client ID" { code { (s(identity, "appId")) } }
                        td data-label="Object ID" { code { (s(identity, "id")) } }
                    }
                }
            }
        } }
        h2 { "Create a managed identity" }
        form.panel method="post" action="/portal/identities" {
            (ctx.csrf())
            label for="identity-name" { "Name" }
            input #identity-name type="text" name="displayName" required;
            div.actions { button type="submit" { "Create" } }
        }
    };
    layout::page_with(status, ctx, Nav::Identities, "Managed identities", content)
}

/// `GET /portal/identities`
pub(crate) async fn list(ctx: Ctx, Query(notice): Query<Notice>) -> Response {
    render_list(&ctx, &notice, None).await
}

/// `POST /portal/identities`
pub(crate) async fn create(Posted { ctx, fields }: Posted) -> Response {
    match ctx.api().post(&collection(&ctx), json!({ "displayName": fields.text("displayName") })).await {
        Ok(identity) => {
            Redirect::to(&format!("/portal/identities/{}?done=created", s(&identity, "id"))).into_response()
        }
        Err(e) => render_list(&ctx, &Notice::default(), Some(&e)).await,
    }
}

/// What a post left to show on the identity's page.
enum Outcome {
    None,
    EndpointSecret(Value),
    Error(ApiError),
}

async fn render(ctx: &Ctx, id: &str, notice: &Notice, outcome: Outcome) -> Response {
    let api = ctx.api();
    let identity = match api.get(&format!("{}/{}", collection(ctx), encode(id))).await {
        Ok(identity) => identity,
        Err(e) => return layout::failed(ctx, Nav::Identities, "Managed identity", &e),
    };
    let loaded = async {
        let all = principals(ctx).await?;
        let held = api.get(&format!("/v1.0/servicePrincipals/{}/appRoleAssignments", encode(id))).await?;
        Ok::<_, ApiError>((all, held))
    };
    let (all, held) = match loaded.await {
        Ok(found) => found,
        Err(e) => return layout::failed(ctx, Nav::Identities, s(&identity, "displayName"), &e),
    };
    let status = match &outcome {
        Outcome::Error(e) => e.status,
        _ => StatusCode::OK,
    };
    let base = format!("/portal/identities/{id}");
    let content = html! {
        (notice.banner(|d| match d {
            "created" => Some("The managed identity was created."),
            "certificate" => Some("The certificate was added: run custos agent with it and its key."),
            "assigned" => Some("The role was assigned."),
            "revoked" => Some("The role was revoked."),
            _ => None,
        }))
        @match &outcome {
            Outcome::Error(e) => (layout::api_error(e)),
            Outcome::EndpointSecret(secret) => div.secret role="status" {
                p { strong { "Copy the endpoint secret now." } " It is shown only once." }
                dl.facts {
                    dt { "Secret" } dd { (layout::copyable("endpoint-secret", s(secret, "secret"))) }
                    dt { "IDENTITY_ENDPOINT" } dd { code { (s(secret, "identityEndpoint")) } }
                    dt { "Expires" } dd { (layout::when(secret, "endDateTime")) }
                }
            },
            Outcome::None => {},
        }
        section.panel {
            dl.facts {
                dt { "Client ID" } dd { (layout::copyable("client-id", s(&identity, "appId"))) }
                dt { "Object (principal) ID" } dd { (layout::copyable("object-id", s(&identity, "id"))) }
                dt { "Tenant ID" } dd { code { (ctx.tenant()) } }
            }
        }
        h2 { "Role assignments" }
        (held_roles(ctx, layout::list(&held, "value"), &all, &format!("{base}/granted")))
        form.panel method="post" action={ (base) "/assignments" } {
            (ctx.csrf())
            label for="identity-role" { "Add a role assignment" }
            select #identity-role name="role" required {
                @for (value, label) in role_options(&all) { option value=(value) { (label) } }
            }
            div.actions { button type="submit" { "Assign" } }
        }
        h2 { "Credentials for custos agent" }
        form.panel method="post" action={ (base) "/certificates" } enctype="multipart/form-data" {
            (ctx.csrf())
            label for="identity-certificate" { "Upload the agent's certificate (.cer, .pem or .crt)" }
            input #identity-certificate type="file" name="certificate" accept=".cer,.pem,.crt" required;
            label for="identity-certificate-name" { "Description (optional)" }
            input #identity-certificate-name type="text" name="description";
            div.actions { button type="submit" { "Add certificate" } }
        }
        form.panel method="post" action={ (base) "/endpoint-secret" } {
            (ctx.csrf())
            p.hint { "Or an endpoint secret for the development managed-identity endpoints (" code { "serve --dev-managed-identity-endpoints" } "); a new one replaces the old." }
            div.actions { button.secondary type="submit" { "New endpoint secret" } }
        }
        form.inline method="post" action={ (base) "/delete" } data-confirm="Delete this managed identity, its credentials and its role assignments?" {
            (ctx.csrf()) button.danger type="submit" { "Delete managed identity" }
        }
    };
    layout::page_with(status, ctx, Nav::Identities, s(&identity, "displayName"), content)
}

/// `GET /portal/identities/{id}`
pub(crate) async fn show(ctx: Ctx, Path(id): Path<String>, Query(notice): Query<Notice>) -> Response {
    render(&ctx, &id, &notice, Outcome::None).await
}

/// `POST /portal/identities/{id}/delete`
pub(crate) async fn delete(Path(id): Path<String>, Posted { ctx, .. }: Posted) -> Response {
    match ctx.api().delete(&format!("{}/{}", collection(&ctx), encode(&id))).await {
        Ok(_) => done("/portal/identities", "deleted"),
        Err(e) => render(&ctx, &id, &Notice::default(), Outcome::Error(e)).await,
    }
}

/// `POST /portal/identities/{id}/certificates` (multipart)
pub(crate) async fn add_certificate(ctx: Ctx, Path(id): Path<String>, multipart: Multipart) -> Response {
    let upload = match read_upload(&ctx, multipart, "certificate").await {
        Ok(upload) => upload,
        Err(page) => return page,
    };
    if upload.file.is_empty() {
        let error = ApiError::bad_request("Choose a certificate file (.cer, .pem or .crt) to upload.");
        return render(&ctx, &id, &Notice::default(), Outcome::Error(error)).await;
    }
    let body = json!({ "key": certificate_text(&upload.file), "displayName": upload.description });
    match ctx.api().post(&format!("{}/{}/credentials", collection(&ctx), encode(&id)), body).await {
        Ok(_) => done(&format!("/portal/identities/{id}"), "certificate"),
        Err(e) => render(&ctx, &id, &Notice::default(), Outcome::Error(e)).await,
    }
}

/// `POST /portal/identities/{id}/endpoint-secret`: the secret, once.
pub(crate) async fn endpoint_secret(Path(id): Path<String>, Posted { ctx, .. }: Posted) -> Response {
    let outcome = match ctx
        .api()
        .post(&format!("{}/{}/endpointSecret", collection(&ctx), encode(&id)), json!({}))
        .await
    {
        Ok(secret) => Outcome::EndpointSecret(secret),
        Err(e) => Outcome::Error(e),
    };
    render(&ctx, &id, &Notice::default(), outcome).await
}

/// `POST /portal/identities/{id}/assignments`: `role` = `resourceId:appRoleId`.
pub(crate) async fn assign(Path(id): Path<String>, Posted { ctx, fields }: Posted) -> Response {
    let Some((resource, role)) = fields.text("role").split_once(':') else {
        let error = ApiError::bad_request("Choose a role to assign.");
        return render(&ctx, &id, &Notice::default(), Outcome::Error(error)).await;
    };
    let body = json!({ "principalId": id, "resourceId": resource, "appRoleId": role });
    match ctx.api().post(&format!("/v1.0/servicePrincipals/{}/appRoleAssignments", encode(&id)), body).await {
        Ok(_) => done(&format!("/portal/identities/{id}"), "assigned"),
        Err(e) => render(&ctx, &id, &Notice::default(), Outcome::Error(e)).await,
    }
}

/// `POST /portal/identities/{id}/granted/{assignment}/delete`
pub(crate) async fn revoke(
    Path((id, assignment)): Path<(String, String)>,
    Posted { ctx, .. }: Posted,
) -> Response {
    let path = format!("/v1.0/servicePrincipals/{}/appRoleAssignments/{}", encode(&id), encode(&assignment));
    match ctx.api().delete(&path).await {
        Ok(_) => done(&format!("/portal/identities/{id}"), "revoked"),
        Err(e) => render(&ctx, &id, &Notice::default(), Outcome::Error(e)).await,
    }
}
