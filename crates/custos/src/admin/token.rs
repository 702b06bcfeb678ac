//! `custos token get`: a client-credentials token for testing, with the connection's (or the
//! given) client id and secret. `--decode` shows the claims without verifying the signature.

use super::api::{Http, TokenRequest};
use super::error::AdminError;
use crate::output::Report;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_client::AccessToken;
use serde_json::{Value, json};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum TokenCommand {
    /// Acquire an app-only access token and print it.
    Get(GetArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct GetArgs {
    /// The v2 scope, e.g. api://payroll/.default.
    #[arg(long, value_name = "SCOPE", required_unless_present = "v1", conflicts_with = "v1")]
    scope: Option<String>,
    /// Use the v1 endpoint (`/oauth2/token`) with --resource.
    #[arg(long, requires = "resource")]
    v1: bool,
    /// The v1 resource: an Application ID URI or appId.
    #[arg(long, value_name = "RESOURCE", requires = "v1")]
    resource: Option<String>,
    /// Print the token's claims as JSON (not verified).
    #[arg(long)]
    decode: bool,
}

pub(crate) async fn run(http: &Http, command: TokenCommand) -> Result<Report, AdminError> {
    let TokenCommand::Get(args) = command;
    let request = match (args.scope, args.resource) {
        (Some(scope), _) if !args.v1 => TokenRequest::V2 { scope },
        (_, Some(resource)) if args.v1 => TokenRequest::V1 { resource },
        _ => {
            return Err(AdminError::Usage("give --scope SCOPE, or --v1 --resource RESOURCE".to_owned()));
        }
    };
    let token = http.request_token(&request).await?;
    if args.decode {
        let claims = decode_claims(token.secret())?;
        let text = format!("{claims:#}\n");
        return Ok(Report::new(claims, text));
    }
    let text = format!("{}\n", token.secret());
    Ok(Report::new(response_json(&token), text))
}

/// The token as a token response: `token_type`, `expires_in` (from when it came), `expires_on`,
/// `access_token`, and the v1 answer's `not_before` and `resource` when it had them.
fn response_json(token: &AccessToken) -> Value {
    let mut response = json!({
        "token_type": token.token_type(),
        "expires_in": token.expires_on() - token.obtained_at(),
        "expires_on": token.expires_on(),
        "access_token": token.secret(),
    });
    if let Some(not_before) = token.not_before() {
        response["not_before"] = json!(not_before);
    }
    if let Some(resource) = token.resource() {
        response["resource"] = json!(resource);
    }
    response
}

/// The payload of a compact JWS as JSON, without verifying anything.
pub(crate) fn decode_claims(token: &str) -> Result<Value, AdminError> {
    let malformed = AdminError::NotAJwt;
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("not three dot-separated parts"));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| malformed("payload is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(claims @ Value::Object(_)) => Ok(claims),
        _ => Err(malformed("payload is not a JSON object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        format!("{header}.{}.c2ln", URL_SAFE_NO_PAD.encode(payload.to_string()))
    }

    #[test]
    fn claims_are_decoded_without_verification() {
        let claims = json!({"aud": "api://payroll", "roles": ["Payroll.Read"], "ver": "1.0"});
        assert_eq!(decode_claims(&jwt(&claims)).unwrap(), claims);
    }

    #[test]
    fn padded_payloads_are_accepted() {
        let claims = json!({"a": "b"});
        let token = jwt(&claims).replacen(".c2ln", "", 1);
        let (header, payload) = token.split_once('.').unwrap();
        let padded = format!("{header}.{payload}==.sig");
        assert_eq!(decode_claims(&padded).unwrap(), claims);
    }

    #[test]
    fn non_jwts_are_refused_with_a_reason() {
        assert_eq!(
            decode_claims("opaque").unwrap_err().to_string(),
            "the server answered a token that is not a JWT (not three dot-separated parts)"
        );
        assert_eq!(
            decode_claims("a.!!!.c").unwrap_err().to_string(),
            "the server answered a token that is not a JWT (payload is not base64url)"
        );
        let array = format!("a.{}.c", URL_SAFE_NO_PAD.encode("[1]"));
        assert_eq!(
            decode_claims(&array).unwrap_err().to_string(),
            "the server answered a token that is not a JWT (payload is not a JSON object)"
        );
    }
}
