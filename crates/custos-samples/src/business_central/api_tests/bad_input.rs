//! Bad input (issue 6 item 5): each case is a 4xx with BC's error body, and nothing is written.

use super::{BASE, Harness};
use crate::business_central::odata::check::OR_DISTINCT_FIELDS;
use http::StatusCode;

const UNKNOWN: &str = "0b7b8a34-1111-4222-8333-944455556666";

/// Sends every body to POST and to PATCH (`If-Match: *`) and checks the code and that neither wrote.
async fn refused_writes(h: &Harness, cases: &[(&str, StatusCode, &str, &str)]) {
    let id = h.customer_id("C00010").await;
    let url = format!("{}/customers", h.company_url());
    let before = h.fingerprint("customers").await;
    for (body, status, code, message) in cases {
        let posted = h.post(&url, body).await;
        posted.assert_error(*status, code, message);
        let patched = h.patch(&format!("{url}({id})"), "*", body).await;
        patched.assert_error(*status, code, message);
        assert_eq!(h.fingerprint("customers").await, before, "{body}: nothing written");
    }
}

#[tokio::test]
async fn malformed_json_unknown_fields_wrong_types() {
    let h = Harness::new().await;
    let invalid = "Invalid Request Body";
    refused_writes(
        &h,
        &[
            ("{\"displayName\": ", StatusCode::BAD_REQUEST, "BadRequest", invalid),
            ("not json", StatusCode::BAD_REQUEST, "BadRequest", invalid),
            ("[{\"displayName\":\"x\"}]", StatusCode::BAD_REQUEST, "BadRequest", invalid),
            ("", StatusCode::BAD_REQUEST, "BadRequest", invalid),
            (
                r#"{"displayName":"x","nickname":"y"}"#,
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "The property 'nickname' does not exist on type 'Microsoft.NAV.customer'. Make sure to only use property names that are defined by the type.",
            ),
            (
                r#"{"creditLimit":"a lot"}"#,
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Cannot convert a primitive value to the expected type 'Edm.Decimal'. See the inner exception for more details.",
            ),
            (
                r#"{"taxLiable":"yes"}"#,
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Cannot convert a primitive value to the expected type 'Edm.Boolean'. See the inner exception for more details.",
            ),
            (
                r#"{"displayName":42}"#,
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Cannot convert a primitive value to the expected type 'Edm.String'. See the inner exception for more details.",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn over_long_read_only_blank_and_invalid_values() {
    let h = Harness::new().await;
    let long_name = format!(r#"{{"displayName":"{}"}}"#, "n".repeat(101));
    let long_message = format!(
        "The length of the string is 101, but it must be less than or equal to 100 characters. Value: {}",
        "n".repeat(101)
    );
    let long_email = format!(r#"{{"email":"{}@x.example"}}"#, "e".repeat(80));
    refused_writes(
        &h,
        &[
            (&long_name, StatusCode::BAD_REQUEST, "Application_StringExceededLength", &long_message),
            (
                r#"{"number":"C0000000000000000000001"}"#,
                StatusCode::BAD_REQUEST,
                "Application_StringExceededLength",
                "The length of the string is 23, but it must be less than or equal to 20 characters. Value: C0000000000000000000001",
            ),
            (r#"{"id":"0b7b8a34-1111-4222-8333-944455556666"}"#, StatusCode::BAD_REQUEST, "BadRequest_InvalidOperation", "Control 'id' is read-only."),
            (
                r#"{"lastModifiedDateTime":"2026-01-01T00:00:00Z"}"#,
                StatusCode::BAD_REQUEST,
                "BadRequest_InvalidOperation",
                "Control 'lastModifiedDateTime' is read-only.",
            ),
            (r#"{"balanceDue":100}"#, StatusCode::BAD_REQUEST, "BadRequest_InvalidOperation", "Control 'balanceDue' is read-only."),
            (
                r#"{"displayName":null}"#,
                StatusCode::BAD_REQUEST,
                "BadRequest_RequiredParamNotProvided",
                "Field 'displayName' must not be blank or empty.",
            ),
            (
                r#"{"currencyId":"EUR"}"#,
                StatusCode::BAD_REQUEST,
                "Application_InvalidGUID",
                "Invalid format of GUID string. The correct format of the GUID string is: CDEF7890-ABCD-0123-1234-567890ABCDEF where 0-9, A-F symbolizes hexadecimal digits.",
            ),
            (
                r#"{"blocked":"Everything"}"#,
                StatusCode::BAD_REQUEST,
                "Application_EvaluateException",
                "The value \"Everything\" cannot be evaluated into type Option.",
            ),
        ],
    )
    .await;
    let reply = h.post(&format!("{}/customers", h.company_url()), &long_email).await;
    reply.assert_code(StatusCode::BAD_REQUEST, "Application_StringExceededLength");
}

#[tokio::test]
async fn an_empty_number_on_patch_is_a_field_validation_error() {
    let h = Harness::new().await;
    let id = h.customer_id("C00010").await;
    let before = h.fingerprint("customers").await;
    let reply = h.patch(&format!("{}/customers({id})", h.company_url()), "*", r#"{"number":""}"#).await;
    reply.assert_error(
        StatusCode::BAD_REQUEST,
        "Application_FieldValidationException",
        "No. must have a value in Customer: No.=. It cannot be zero or empty.",
    );
    assert_eq!(h.fingerprint("customers").await, before);
}

#[tokio::test]
async fn writes_must_be_json() {
    let h = Harness::new().await;
    let url = format!("{}/customers", h.company_url());
    let before = h.fingerprint("customers").await;
    let form = h
        .send("POST", &url, &[("content-type", "application/x-www-form-urlencoded")], Some("displayName=x"))
        .await;
    form.assert_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "BadRequest_UnsupportedMediaType",
        "The request content type 'application/x-www-form-urlencoded' is not supported; send application/json.",
    );
    let none = h.send("POST", &url, &[], Some(r#"{"displayName":"x"}"#)).await;
    none.assert_code(StatusCode::UNSUPPORTED_MEDIA_TYPE, "BadRequest_UnsupportedMediaType");
    let id = h.customer_id("C00010").await;
    let patch = h
        .send(
            "PATCH",
            &format!("{url}({id})"),
            &[("if-match", "*"), ("content-type", "text/plain")],
            Some("{}"),
        )
        .await;
    patch.assert_code(StatusCode::UNSUPPORTED_MEDIA_TYPE, "BadRequest_UnsupportedMediaType");
    assert_eq!(h.fingerprint("customers").await, before);
}

#[tokio::test]
async fn unknown_ids_and_missing_companies() {
    let h = Harness::new().await;
    let before = h.fingerprint("customers").await;
    let company = h.company_url();
    let not_found = |segment: &str| format!("Resource not found for the segment '{segment}'.");
    h.get(&format!("{company}/customers({UNKNOWN})")).await.assert_error(
        StatusCode::NOT_FOUND,
        "BadRequest_ResourceNotFound",
        &not_found("customers"),
    );
    h.patch(&format!("{company}/items({UNKNOWN})"), "*", r#"{"displayName":"x"}"#).await.assert_error(
        StatusCode::NOT_FOUND,
        "BadRequest_ResourceNotFound",
        &not_found("items"),
    );
    h.send("DELETE", &format!("{company}/vendors({UNKNOWN})"), &[], None).await.assert_error(
        StatusCode::NOT_FOUND,
        "BadRequest_ResourceNotFound",
        &not_found("vendors"),
    );
    let missing = format!("{BASE}/companies({UNKNOWN})");
    h.get(&missing).await.assert_error(
        StatusCode::NOT_FOUND,
        "BadRequest_ResourceNotFound",
        &not_found("companies"),
    );
    h.get(&format!("{missing}/customers")).await.assert_error(
        StatusCode::NOT_FOUND,
        "BadRequest_ResourceNotFound",
        &not_found("companies"),
    );
    h.post(&format!("{missing}/customers"), r#"{"displayName":"x"}"#).await.assert_error(
        StatusCode::NOT_FOUND,
        "BadRequest_ResourceNotFound",
        &not_found("companies"),
    );
    let id = h.customer_id("C00010").await;
    h.send("DELETE", &format!("{missing}/customers({id})"), &[], None).await.assert_error(
        StatusCode::NOT_FOUND,
        "BadRequest_ResourceNotFound",
        &not_found("companies"),
    );
    assert_eq!(h.fingerprint("customers").await, before, "nothing written");
}

#[tokio::test]
async fn unknown_paths_and_malformed_keys() {
    let h = Harness::new().await;
    let company = h.company_url();
    for path in [
        format!("{BASE}/Companies"),
        format!("{company}/Customers"),
        format!("{company}/employees"),
        format!("{BASE}/companies/customers"),
    ] {
        let reply = h.get(&path).await;
        reply.assert_error(
            StatusCode::NOT_FOUND,
            "BadRequest_NotFound",
            &format!("No HTTP resource was found that matches the request URI '{path}'."),
        );
    }
    for path in [
        format!("{BASE}/companies(42)"),
        format!("{company}/customers('C00010')"),
        format!("{BASE}/companies(x"),
    ] {
        h.get(&path).await.assert_error(
            StatusCode::BAD_REQUEST,
            "BadRequest_NotFound",
            "Bad Request - Error in query syntax.",
        );
    }
}

#[tokio::test]
async fn methods_not_allowed() {
    let h = Harness::new().await;
    let before = h.fingerprint("companies").await;
    h.post(&format!("{BASE}/companies"), r#"{"name":"X"}"#).await.assert_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "BadRequest_MethodNotAllowed",
        "'POST' requests for 'companies' of EdmType 'Entity' are not allowed within Dynamics 365 Business Central OData web services.",
    );
    h.send("DELETE", &h.company_url(), &[], None)
        .await
        .assert_code(StatusCode::METHOD_NOT_ALLOWED, "BadRequest_MethodNotAllowed");
    let id = h.customer_id("C00010").await;
    h.send(
        "PUT",
        &format!("{}/customers({id})", h.company_url()),
        &[("content-type", "application/json")],
        Some("{}"),
    )
    .await
    .assert_code(StatusCode::METHOD_NOT_ALLOWED, "BadRequest_MethodNotAllowed");
    h.send("DELETE", &format!("{}/customers", h.company_url()), &[], None)
        .await
        .assert_code(StatusCode::METHOD_NOT_ALLOWED, "BadRequest_MethodNotAllowed");
    assert_eq!(h.fingerprint("companies").await, before);
    assert_eq!(h.fingerprint("customers").await.0, 5);
}

#[tokio::test]
async fn malformed_filters_and_query_options() {
    let h = Harness::new().await;
    let url = format!("{}/customers", h.company_url());
    let get = |query: String| {
        let url = url.clone();
        let h = &h;
        async move { h.get(&format!("{url}?{query}")).await }
    };
    get("$filter=displayName%20eq%20'x".to_owned()).await.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_NotFound",
        "There is an unterminated string literal at position 15 in 'displayName eq 'x'.",
    );
    get("$filter=displayName%20eq%20''%3B%20DROP%20TABLE%20customers".to_owned()).await.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_NotFound",
        "Syntax error at position 17 in 'displayName eq ''; DROP TABLE customers'.",
    );
    get("$filter=nickname%20eq%20'x'".to_owned()).await.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_NotFound",
        "Could not find a property named 'nickname' on type 'Microsoft.NAV.customer'.",
    );
    get("$filter=creditLimit%20eq%20'x'".to_owned())
        .await
        .assert_code(StatusCode::BAD_REQUEST, "BadRequest_NotFound");
    get("$filter=displayName%20eq%20'x'%20or%20city%20eq%20'y'".to_owned()).await.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_MethodNotImplemented",
        OR_DISTINCT_FIELDS,
    );
    get(format!("$filter={}city%20eq%20'a'{}", "(".repeat(40), ")".repeat(40)))
        .await
        .assert_code(StatusCode::BAD_REQUEST, "BadRequest_InvalidRequestUrl");
    get(format!("$filter=city%20eq%20'{}'", "a".repeat(3000)))
        .await
        .assert_code(StatusCode::BAD_REQUEST, "BadRequest_InvalidRequestUrl");
    get("$filter=%FF".to_owned()).await.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_NotFound",
        "Bad Request - Error in query syntax.",
    );

    get("$top=20001".to_owned()).await.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_InvalidRequestUrl",
        "The value of the $top query option must not exceed 20000.",
    );
    get("$top=99999999999999999999".to_owned())
        .await
        .assert_code(StatusCode::BAD_REQUEST, "BadRequest_InvalidRequestUrl");
    get("$top=ten".to_owned()).await.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_InvalidRequestUrl",
        "Invalid value 'ten' for $top query option found. The $top query option requires a non-negative integer value.",
    );
    get("$top=-1".to_owned()).await.assert_code(StatusCode::BAD_REQUEST, "BadRequest_InvalidRequestUrl");
    get("$skip=x".to_owned()).await.assert_code(StatusCode::BAD_REQUEST, "BadRequest_InvalidRequestUrl");
    get("$count=yes".to_owned()).await.assert_code(StatusCode::BAD_REQUEST, "BadRequest_NotFound");
    get("$select=number,nickname".to_owned()).await.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_NotFound",
        "Could not find a property named 'nickname' on type 'Microsoft.NAV.customer'.",
    );
    get("$orderby=number%20sideways".to_owned())
        .await
        .assert_code(StatusCode::BAD_REQUEST, "BadRequest_NotFound");
    get("$orderby=nickname".to_owned()).await.assert_code(StatusCode::BAD_REQUEST, "BadRequest_NotFound");
    // More ORDER BY terms than SQLite allows (2000) would be a database error, not a 400.
    get(format!("$orderby={}", vec!["id"; 2100].join(",")))
        .await
        .assert_code(StatusCode::BAD_REQUEST, "BadRequest_NotFound");
    get("$orderby=number,city%20desc,number".to_owned()).await.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_NotFound",
        "Duplicate property named 'number' is not supported in '$orderby'.",
    );
    get("$top=1&$top=2".to_owned()).await.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_NotFound",
        "Query option '$top' was specified more than once, but it must be specified at most once.",
    );
    get("$expand=picture".to_owned())
        .await
        .assert_code(StatusCode::BAD_REQUEST, "BadRequest_InvalidRequestUrl");
    get("$bogus=1".to_owned()).await.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_NotFound",
        "The query parameter '$bogus' is not supported.",
    );
    let fine = get("company=CRONUS&$schemaversion=2.0&$format=json".to_owned()).await;
    assert_eq!(fine.status, StatusCode::OK, "custom options are ignored: {}", fine.text);
    assert_eq!(h.fingerprint("customers").await.0, 5);
}
