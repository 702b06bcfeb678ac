//! Authorization of an authenticated app principal: the seed 000 rules (required app role, allowed
//! client application ids, managed identities admitted by object id without a role).

use std::collections::BTreeSet;

use custos_core::{AppId, ObjectId};

use crate::error::Forbidden;
use crate::principal::{Principal, PrincipalKind};

/// Who may call: the rule a route (or the whole API) applies to app tokens.
///
/// - an `oid` in [`object_ids`](Self::object_ids) is admitted outright (seed 000 approach 1: a managed
///   identity allowed by object id needs no role);
/// - otherwise, when [`application_ids`](Self::application_ids) is non-empty, `appid`/`azp` must be in it;
/// - and, when [`roles`](Self::roles) is non-empty, `roles` must contain at least one of them.
///
/// Delegated (user) tokens are not subject to these S2S rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    roles: Vec<String>,
    application_ids: BTreeSet<AppId>,
    object_ids: BTreeSet<ObjectId>,
}

impl Policy {
    /// A rule requiring any of `roles` (none = no role needed), restricted to `application_ids` when
    /// non-empty, and admitting `object_ids` without further checks.
    pub fn new(roles: Vec<String>, application_ids: BTreeSet<AppId>, object_ids: BTreeSet<ObjectId>) -> Self {
        Self { roles, application_ids, object_ids }
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

    /// Checks `principal` against the rule.
    pub fn authorize(&self, principal: &Principal) -> Result<(), Forbidden> {
        if principal.kind != PrincipalKind::App || self.object_ids.contains(&principal.object_id) {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principal::TokenVersion;
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
}
