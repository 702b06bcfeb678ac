//! The permission sets the sample knows (a small, fixed part of BC's catalogue), and what each one
//! lets its holder do. Used by the Entra Applications card (which sets may be assigned), by the
//! authorization middleware (read or write per object) and by the Automation API (`permissionSets`,
//! `userPermissions`).
//!
//! BC's real sets grant object permissions table by table; the sample reduces that to two object
//! groups ([`ObjectGroup`]) and two access levels ([`Access`]) (custos' own simplification).

use std::fmt;

/// The objects a permission set can cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ObjectGroup {
    /// Companies, customers, items and vendors (API v2.0).
    Business,
    /// Automation objects: automation companies, users, user permissions, permission sets.
    Automation,
}

/// What an operation needs on an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Access {
    /// GET.
    Read,
    /// POST, PATCH, DELETE.
    Write,
}

/// One permission set of the catalogue (`roleId` in the Automation API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PermissionSet {
    /// The role id, e.g. `D365 BUS FULL ACCESS`.
    pub(crate) role_id: &'static str,
    /// BC's description of the set.
    pub(crate) display_name: &'static str,
    /// `System` for BC's built-in sets.
    pub(crate) scope: &'static str,
    /// Whether an application (license type Application) may hold it: not `SUPER`.
    pub(crate) assignable_to_apps: bool,
    grants: &'static [(ObjectGroup, Access)],
}

impl PermissionSet {
    /// Whether the set gives `access` (or more) on `group`.
    pub(crate) fn allows(&self, group: ObjectGroup, access: Access) -> bool {
        self.grants.iter().any(|&(g, a)| g == group && a >= access)
    }
}

impl fmt::Display for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.role_id)
    }
}

use Access::{Read, Write};
use ObjectGroup::{Automation, Business};

/// The catalogue, in the order `permissionSets` lists it.
pub(crate) const CATALOGUE: [PermissionSet; 7] = [
    PermissionSet {
        role_id: "D365 AUTOMATION",
        display_name: "Dynamics 365 Automation",
        scope: "System",
        assignable_to_apps: true,
        grants: &[(Automation, Write)],
    },
    PermissionSet {
        role_id: "D365 BASIC",
        display_name: "Dynamics 365 Basic access",
        scope: "System",
        assignable_to_apps: true,
        grants: &[],
    },
    PermissionSet {
        role_id: "D365 BUS FULL ACCESS",
        display_name: "Dynamics 365 Full business access",
        scope: "System",
        assignable_to_apps: true,
        grants: &[(Business, Write)],
    },
    PermissionSet {
        role_id: "D365 READ",
        display_name: "Dynamics 365 read access",
        scope: "System",
        assignable_to_apps: true,
        grants: &[(Business, Read)],
    },
    PermissionSet {
        role_id: "EXTEND. MGT. - ADMIN",
        display_name: "Extension Management - Admin",
        scope: "System",
        assignable_to_apps: true,
        grants: &[(Automation, Write)],
    },
    PermissionSet {
        role_id: "SECURITY",
        display_name: "Assign permissions to users",
        scope: "System",
        assignable_to_apps: true,
        grants: &[(Automation, Write)],
    },
    PermissionSet {
        role_id: "SUPER",
        display_name: "This role has all permissions.",
        scope: "System",
        assignable_to_apps: false,
        grants: &[(Business, Write), (Automation, Write)],
    },
];

/// The set that may change the State of an application's user (resource-apis.md §3: BC requires
/// `SUPER` or `SECURITY`, and applications cannot hold `SUPER`).
pub(crate) const SECURITY: &str = "SECURITY";

/// The set with this role id (exact, as BC's Code fields are upper case; callers upper-case input).
pub(crate) fn find(role_id: &str) -> Option<&'static PermissionSet> {
    CATALOGUE.iter().find(|set| set.role_id == role_id)
}

/// Whether any of `role_ids` gives `access` on `group`.
pub(crate) fn any_allows<'a>(
    role_ids: impl IntoIterator<Item = &'a str>,
    group: ObjectGroup,
    access: Access,
) -> bool {
    role_ids.into_iter().filter_map(find).any(|set| set.allows(group, access))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_sets_do_not_write() {
        let read = find("D365 READ").unwrap();
        assert!(read.allows(Business, Read));
        assert!(!read.allows(Business, Write));
        assert!(!read.allows(Automation, Read));
    }

    #[test]
    fn full_access_writes_business_objects_only() {
        let full = find("D365 BUS FULL ACCESS").unwrap();
        assert!(full.allows(Business, Read) && full.allows(Business, Write));
        assert!(!full.allows(Automation, Read));
    }

    #[test]
    fn automation_sets_cover_automation_objects() {
        for role in ["D365 AUTOMATION", "EXTEND. MGT. - ADMIN"] {
            let set = find(role).unwrap();
            assert!(set.allows(Automation, Write), "{role}");
            assert!(!set.allows(Business, Read), "{role}");
        }
    }

    #[test]
    fn super_is_not_assignable_to_apps_and_lookups_are_exact() {
        assert!(!find("SUPER").unwrap().assignable_to_apps);
        assert!(find("d365 read").is_none());
        assert!(any_allows(["D365 BASIC", "D365 READ"], Business, Read));
        assert!(!any_allows(["D365 BASIC", "NOPE"], Business, Read));
    }
}
