//! Checking a user name and password from the sign-in form. The UPN's domain names the user's
//! tenant (so `common` and `organizations` find it); a user of another tenant than the path's
//! gets AADSTS50020 on the error page, naming the v1 issuer of their home tenant as their
//! identity provider, as Entra does (`https://sts.windows.net/{tid}/` with Entra host names).
//! Other failures are shown inline: 50034 unknown user, 50126 wrong password, 50057 disabled,
//! 50053 locked ([`crate::lockout`]). An unknown user costs the
//! time of one password check (against a dummy hash), and the account state is revealed only
//! after the right password. Argon2id runs on the blocking pool.

use crate::state::SignIn;
use custos_core::aadsts::{ForeignUser, SignInError, TokenError};
use custos_core::model::{Application, Tenant, TokenVersion};
use custos_core::users::{User, check_user_principal_name};
use custos_jose::password;
use custos_store::Store;
use std::net::IpAddr;

/// Why a sign-in attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Shown on the sign-in page, which is offered again.
    Inline(TokenError),
    /// Shown on the error page.
    Page(TokenError),
}

/// Runs a password check off the async workers.
async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => password::verify(&password, &stored),
        None => {
            password::verify_dummy(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Checks `login` and `password`. `path_tenant` is the tenant of the request path (`None` for
/// `common` and `organizations`).
pub(crate) async fn authenticate(
    state: &SignIn,
    path_tenant: Option<&Tenant>,
    client: &Application,
    login: &str,
    password: &str,
    source: Option<IpAddr>,
) -> Result<User, Failure> {
    let store: &dyn Store = state.directory.as_ref();
    let unavailable = |e: custos_store::StoreError| {
        tracing::warn!(error = %e, "sign-in failed: storage error");
        Failure::Page(TokenError::TemporarilyUnavailable)
    };
    let login = login.trim();
    let shown_tenant = path_tenant.map_or("common", |t| t.domain.as_str()).to_owned();
    let unknown = |tenant: String| Failure::Inline(SignInError::UnknownUser { tenant }.into());
    let Ok((_, domain)) = check_user_principal_name(login) else {
        verify(password.to_owned(), None).await;
        return Err(unknown(shown_tenant));
    };
    let Some(home) = state.directory.resolve_tenant(domain).await.map_err(unavailable)? else {
        verify(password.to_owned(), None).await;
        return Err(unknown(shown_tenant));
    };
    if let Some(path) = path_tenant
        && path.id != home.id
    {
        return Err(Failure::Page(
            SignInError::UserNotInTenant(Box::new(ForeignUser {
                upn: login.to_owned(),
                idp: state.origins.issuer(&home.id.to_string(), TokenVersion::V1),
                tenant: path.domain.clone(),
                app_id: client.app_id.to_string(),
                app_name: client.display_name.clone(),
            }))
            .into(),
        ));
    }
    let key = format!("{}/{}", home.id, login.to_ascii_lowercase());
    let now = state.clock.instant();
    if state.lockout.is_locked(&key, source, now) {
        return Err(Failure::Inline(SignInError::AccountLocked.into()));
    }
    let user = store.user_by_upn(home.id, login).await.map_err(unavailable)?;
    let stored = match &user {
        Some(user) => store.user_password_hash(home.id, user.id).await.map_err(unavailable)?,
        None => None,
    };
    let matches = verify(password.to_owned(), stored).await;
    let user = match user {
        Some(user) if matches => user,
        Some(_) => {
            state.lockout.fail(&key, source, password, state.clock.instant());
            return Err(Failure::Inline(SignInError::InvalidCredentials.into()));
        }
        None => {
            state.lockout.fail(&key, source, password, state.clock.instant());
            return Err(unknown(home.domain.clone()));
        }
    };
    if !user.account_enabled {
        return Err(Failure::Inline(SignInError::UserDisabled.into()));
    }
    state.lockout.succeed(&key);
    Ok(user)
}
