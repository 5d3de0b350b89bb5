//! Who may do what: roles, and the site a role is bound to.

use super::state::SiteKind;

super::words::text_enum!(
    /// What a user does in the loop.
    Role {
        Shop = "shop",
        Washer = "washer",
        Producer = "producer",
        Coordinator = "coordinator",
        Admin = "admin",
    }
);

impl Role {
    /// Shop, washer and producer users work at one site; coordinators and admins at all.
    pub fn is_site_bound(self) -> bool {
        matches!(self, Role::Shop | Role::Washer | Role::Producer)
    }

    /// Coordinators and admins manage the loop: sites, routes, types, containers.
    pub fn manages_loop(self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin)
    }

    /// The kinds of site a user of this role may belong to.
    pub fn fits_site(self, kind: SiteKind) -> bool {
        match self {
            Role::Shop => matches!(kind, SiteKind::Shop | SiteKind::Hub),
            Role::Washer => matches!(kind, SiteKind::Washer | SiteKind::Hub),
            Role::Producer => {
                matches!(kind, SiteKind::Producer | SiteKind::Company | SiteKind::Hub)
            }
            Role::Coordinator | Role::Admin => false,
        }
    }
}

/// A signed-in user as the rules see it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub email: String,
    pub role: Role,
    pub site_id: Option<String>,
}

impl Actor {
    /// Whether the actor may act at `site_id`: its own site, or any for coordinators.
    pub fn may_act_at(&self, site_id: &str) -> bool {
        self.role.manages_loop() || self.site_id.as_deref() == Some(site_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, site: Option<&str>) -> Actor {
        Actor {
            user_id: "u".into(),
            email: "e@x.fr".into(),
            role,
            site_id: site.map(Into::into),
        }
    }

    #[test]
    fn site_bound_users_act_only_at_their_site() {
        let shop = actor(Role::Shop, Some("s1"));
        assert!(shop.may_act_at("s1"));
        assert!(!shop.may_act_at("s2"));
        assert!(actor(Role::Coordinator, None).may_act_at("s2"));
    }

    #[test]
    fn roles_fit_their_kinds_of_site() {
        assert!(Role::Shop.fits_site(SiteKind::Shop));
        assert!(!Role::Shop.fits_site(SiteKind::Washer));
        assert!(Role::Producer.fits_site(SiteKind::Company));
        assert_eq!(Role::parse("washer"), Some(Role::Washer));
        assert_eq!(Role::parse("boss"), None);
    }
}
