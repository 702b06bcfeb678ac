//! Authorization of an authenticated principal on one route (or the whole API): the seed 000 rules for
//! app tokens (required app role, allowed client application ids, managed identities admitted by object
//! id without a role) and, for delegated tokens, the required scopes (Microsoft.Identity.Web's
//! `RequiredScope`; its `RequiredScopeOrAppPermission` is a policy with both).
//!
//! A policy also says which kinds of token the route takes at all, so that an app token is refused
//! where a user must be signed in and a user's token where only services may call (`security.md` §9
//! E38). The guard-wide switches (`ServiceAuthEnabled`, [`GuardConfig::with_user_tokens`]) are checked
//! before any policy: a policy can only narrow them.
//!
//! [`GuardConfig::with_user_tokens`]: crate::GuardConfig::with_user_tokens

use std::collections::BTreeSet;

use custos_core::{AppId, ObjectId};

use crate::error::Forbidden;
use crate::principal::{Principal, PrincipalKind};

/// What a route asks of delegated (user) tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DelegatedRule {
    /// Any delegated token with at least one scope (its `aud` already names this API, so its scopes
    /// are this API's). The default of [`Policy::new`].
    AnyScope,
    /// `scp` must contain at least one of these (exact, case-sensitive). An empty list admits none.
    Scopes(Vec<String>),
    /// Delegated tokens are refused on this route ([`Forbidden::UserTokensDisabled`]).
    Refused,
}

/// Who may call: the rule a route (or the whole API) applies.
///
/// App tokens (refused outright after [`without_app_tokens`](Self::without_app_tokens)):
/// - an `oid` in [`object_ids`](Self::object_ids) is admitted outright (seed 000 approach 1: a managed
///   identity allowed by object id needs no role);
/// - otherwise, when [`application_ids`](Self::application_ids) is non-empty, `appid`/`azp` must be in it;
/// - and, when [`roles`](Self::roles) is non-empty, `roles` must contain at least one of them.
///
/// Delegated tokens follow [`delegated`](Self::delegated); a delegated token whose `scp` holds no scope
/// (an empty string) grants nothing and is refused with [`Forbidden::MissingScope`] whatever the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    roles: Vec<String>,
    application_ids: BTreeSet<AppId>,
    object_ids: BTreeSet<ObjectId>,
    app_tokens: bool,
    delegated: DelegatedRule,
}

impl Default for Policy {
    fn default() -> Self {
        Self::new(Vec::new(), BTreeSet::new(), BTreeSet::new())
    }
}

impl Policy {
    /// A rule requiring any of `roles` (none = no role needed), restricted to `application_ids` when
    /// non-empty, and admitting `object_ids` without further checks; delegated tokens with any scope
    /// (subject to the guard-wide switch, off by default).
    pub fn new(roles: Vec<String>, application_ids: BTreeSet<AppId>, object_ids: BTreeSet<ObjectId>) -> Self {
        Self { roles, application_ids, object_ids, app_tokens: true, delegated: DelegatedRule::AnyScope }
    }

    /// A route for signed-in users only: app tokens refused, `scp` must hold one of `scopes`.
    pub fn users_only(scopes: Vec<String>) -> Self {
        Self::default().without_app_tokens().with_delegated(DelegatedRule::Scopes(scopes))
    }

    /// The same rule with `rule` for delegated tokens.
    #[must_use]
    pub fn with_delegated(mut self, rule: DelegatedRule) -> Self {
        self.delegated = rule;
        self
    }

    /// The same rule, refusing app tokens ([`Forbidden::AppTokensDisabled`]).
    #[must_use]
    pub fn without_app_tokens(mut self) -> Self {
        self.app_tokens = false;
        self
    }

    /// Roles of which the caller needs at least one.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// Allowed client application ids (empty = any).
    pub fn application_ids(&self) -> &BTreeSet<AppId> {
        &self.application_ids
    }

    /// Object ids admitted without a role.
    pub fn object_ids(&self) -> &BTreeSet<ObjectId> {
        &self.object_ids
    }

    /// Whether app tokens may use the route.
    pub fn accepts_app_tokens(&self) -> bool {
        self.app_tokens
    }

    /// What delegated tokens need.
    pub fn delegated(&self) -> &DelegatedRule {
        &self.delegated
    }

    /// Checks `principal` against the rule.
    pub fn authorize(&self, principal: &Principal) -> Result<(), Forbidden> {
        match principal.kind {
            PrincipalKind::App => self.authorize_app(principal),
            PrincipalKind::User => self.authorize_user(principal),
        }
    }

    fn authorize_app(&self, principal: &Principal) -> Result<(), Forbidden> {
        if !self.app_tokens {
            return Err(Forbidden::AppTokensDisabled);
        }
        if self.object_ids.contains(&principal.object_id) {
            return Ok(());
        }
        if !self.application_ids.is_empty() && !self.application_ids.contains(&principal.client_app_id) {
            return Err(Forbidden::ApplicationNotAllowed);
        }
        if !self.roles.is_empty() && !self.roles.iter().any(|r| principal.roles.contains(r)) {
            return Err(Forbidden::MissingRole);
        }
        Ok(())
    }

    fn authorize_user(&self, principal: &Principal) -> Result<(), Forbidden> {
        match &self.delegated {
            DelegatedRule::Refused => Err(Forbidden::UserTokensDisabled),
            _ if principal.scopes.is_empty() => Err(Forbidden::MissingScope),
            DelegatedRule::AnyScope => Ok(()),
            DelegatedRule::Scopes(required) if required.iter().any(|s| principal.has_scope(s)) => Ok(()),
            DelegatedRule::Scopes(_) => Err(Forbidden::MissingScope),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principal::{SignedInUser, TokenVersion};
    use custos_core::TenantId;

    fn app(roles: &[&str]) -> Principal {
        Principal {
            tenant_id: TenantId::new_random(),
            client_app_id: AppId::new_random(),
            object_id: ObjectId::new_random(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            scopes: Vec::new(),
            token_version: TokenVersion::V2,
            kind: PrincipalKind::App,
            user: None,
        }
    }

    fn user(scopes: &[&str]) -> Principal {
        Principal {
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            kind: PrincipalKind::User,
            user: Some(SignedInUser::default()),
            ..app(&[])
        }
    }

    #[test]
    fn role_any_of() {
        let policy = Policy::new(vec!["A".into(), "B".into()], BTreeSet::new(), BTreeSet::new());
        assert_eq!(policy.authorize(&app(&["B"])), Ok(()));
        assert_eq!(policy.authorize(&app(&["C"])), Err(Forbidden::MissingRole));
        assert_eq!(policy.authorize(&app(&[])), Err(Forbidden::MissingRole));
    }

    #[test]
    fn object_id_admits_without_role_or_listing() {
        let caller = app(&[]);
        let other = AppId::new_random();
        let policy =
            Policy::new(vec!["A".into()], BTreeSet::from([other]), BTreeSet::from([caller.object_id]));
        assert_eq!(policy.authorize(&caller), Ok(()));
        assert_eq!(policy.authorize(&app(&["A"])), Err(Forbidden::ApplicationNotAllowed));
    }

    #[test]
    fn application_list_and_role_both_apply() {
        let caller = app(&[]);
        let policy = Policy::new(vec!["A".into()], BTreeSet::from([caller.client_app_id]), BTreeSet::new());
        assert_eq!(policy.authorize(&caller), Err(Forbidden::MissingRole));
        let mut with_role = caller;
        with_role.roles.push("A".into());
        assert_eq!(policy.authorize(&with_role), Ok(()));
    }

    /// E38: an app token on a route for signed-in users, even one whose object id or role would
    /// admit it elsewhere.
    #[test]
    fn app_tokens_are_refused_on_a_user_only_route() {
        let caller = app(&["A"]);
        let policy = Policy::new(vec!["A".into()], BTreeSet::new(), BTreeSet::from([caller.object_id]))
            .without_app_tokens()
            .with_delegated(DelegatedRule::Scopes(vec!["access_as_user".into()]));
        assert_eq!(policy.authorize(&caller), Err(Forbidden::AppTokensDisabled));
        assert_eq!(
            Policy::users_only(vec!["x".into()]).authorize(&app(&[])),
            Err(Forbidden::AppTokensDisabled)
        );
        assert_eq!(policy.authorize(&user(&["access_as_user"])), Ok(()));
    }

    /// E38 the other way: a user's token on a route for services only, whatever its scopes or roles.
    #[test]
    fn user_tokens_are_refused_on_an_app_only_route() {
        let policy = Policy::new(vec!["A".into()], BTreeSet::new(), BTreeSet::new())
            .with_delegated(DelegatedRule::Refused);
        let mut signed_in = user(&["access_as_user"]);
        signed_in.roles.push("A".into());
        assert_eq!(policy.authorize(&signed_in), Err(Forbidden::UserTokensDisabled));
        assert_eq!(policy.authorize(&app(&["A"])), Ok(()));
    }

    #[test]
    fn required_scopes_are_any_of_and_exact() {
        let policy = Policy::users_only(vec!["access_as_user".into(), "Courses.Read".into()]);
        assert_eq!(policy.authorize(&user(&["openid", "Courses.Read"])), Ok(()));
        assert_eq!(policy.authorize(&user(&["access_as_user"])), Ok(()));
        assert_eq!(policy.authorize(&user(&["User.Read"])), Err(Forbidden::MissingScope));
        assert_eq!(policy.authorize(&user(&["ACCESS_AS_USER"])), Err(Forbidden::MissingScope));
        assert_eq!(Policy::users_only(Vec::new()).authorize(&user(&["x"])), Err(Forbidden::MissingScope));
    }

    /// `scp: ""` (no scope at all) grants nothing, whichever rule applies.
    #[test]
    fn an_empty_scope_claim_grants_nothing() {
        let empty = user(&[]);
        assert_eq!(Policy::default().authorize(&empty), Err(Forbidden::MissingScope));
        assert_eq!(
            Policy::users_only(vec!["access_as_user".into()]).authorize(&empty),
            Err(Forbidden::MissingScope)
        );
        assert_eq!(Policy::default().authorize(&user(&["anything"])), Ok(()));
    }

    /// "App roles OR delegated scopes" on one route (`RequiredScopeOrAppPermission`).
    #[test]
    fn roles_or_scopes() {
        let policy = Policy::new(vec!["S2SAppRole".into()], BTreeSet::new(), BTreeSet::new())
            .with_delegated(DelegatedRule::Scopes(vec!["access_as_user".into()]));
        assert_eq!(policy.authorize(&app(&["S2SAppRole"])), Ok(()));
        assert_eq!(policy.authorize(&app(&[])), Err(Forbidden::MissingRole));
        assert_eq!(policy.authorize(&user(&["access_as_user"])), Ok(()));
        assert_eq!(policy.authorize(&user(&["other"])), Err(Forbidden::MissingScope));
    }
}
