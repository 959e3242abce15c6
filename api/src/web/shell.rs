//! What every page shows around its content: the reader's navigation (by
//! role), the unread count, the language switch, the sign-out form.

use upturn_domain::model::Role;
use upturn_domain::org::Member;

use super::context::Ctx;
use super::i18n::Tr;
use crate::error::ApiError;
use crate::startup::AppState;

/// A link of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
    /// Shows the unread count.
    pub badge: bool,
}

/// The frame of a page.
pub struct Shell<'a> {
    pub tr: Tr,
    pub me: Option<&'a Member>,
    pub csrf: &'a str,
    pub here: &'a str,
    pub nav: Vec<NavItem>,
    pub unread: usize,
    pub asset_version: &'static str,
}

impl Shell<'_> {
    pub fn signed_in(&self) -> bool {
        self.me.is_some()
    }
}

/// The pages a role works in, first the one it lands on.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Frontline => "/app/file",
        Role::Manager | Role::Service => "/app/requests",
        Role::Leader => "/app/dashboard",
        Role::Admin => "/app/org",
    }
}

fn links(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Frontline => &[
            ("/app/file", "nav-file"),
            ("/app/requests", "nav-team-requests"),
            ("/app/inbox", "nav-inbox"),
            ("/app/pulse", "nav-pulse"),
        ],
        Role::Manager => &[
            ("/app/requests", "nav-board"),
            ("/app/initiatives", "nav-initiatives"),
            ("/app/file", "nav-file"),
            ("/app/inbox", "nav-inbox"),
            ("/app/pulse", "nav-pulse"),
        ],
        Role::Service => &[
            ("/app/requests", "nav-board"),
            ("/app/initiatives", "nav-initiatives"),
            ("/app/inbox", "nav-inbox"),
            ("/app/pulse", "nav-pulse"),
        ],
        Role::Leader => &[
            ("/app/dashboard", "nav-dashboard"),
            ("/app/requests", "nav-board"),
            ("/app/initiatives", "nav-initiatives"),
            ("/app/rules", "nav-rules"),
            ("/app/webhooks", "nav-webhooks"),
            ("/app/audit", "nav-audit"),
            ("/app/inbox", "nav-inbox"),
            ("/app/pulse", "nav-pulse"),
        ],
        Role::Admin => &[("/app/org", "nav-org"), ("/app/audit", "nav-audit")],
    }
}

/// How many of the newest inbox items are unread (the badge counts up to 99).
pub async fn unread(state: &AppState, member: &Member) -> Result<usize, ApiError> {
    if member.role == Role::Admin {
        return Ok(0);
    }
    Ok(state.store.unread_count(member.id, 99).await?)
}

impl<'a> Shell<'a> {
    /// The frame for `ctx`'s reader, with `current` the path of the section.
    pub async fn new(state: &AppState, ctx: &'a Ctx, current: &str) -> Result<Shell<'a>, ApiError> {
        let (nav, unread) = match &ctx.member {
            None => (Vec::new(), 0),
            Some(member) => (
                links(member.role)
                    .iter()
                    .map(|(href, key)| NavItem {
                        href,
                        label: ctx.tr.t(key),
                        current: *href == current,
                        badge: *href == "/app/inbox",
                    })
                    .collect(),
                unread(state, member).await?,
            ),
        };
        Ok(Shell {
            tr: ctx.tr,
            me: ctx.member.as_ref(),
            csrf: &ctx.csrf,
            here: &ctx.here,
            nav,
            unread,
            asset_version: super::ASSET_VERSION,
        })
    }
}

#[cfg(test)]
mod tests {
    use upturn_domain::Actor;
    use upturn_domain::policy::{Action, MetricsView, permit};
    use uuid::Uuid;

    use super::*;

    /// What the page behind a link needs the policy to allow; `None` for
    /// pages every member reads.
    fn needs(href: &str) -> Option<Action> {
        match href {
            "/app/requests" => None,
            "/app/file" => Some(Action::FileRequest),
            "/app/inbox" => Some(Action::Inbox),
            "/app/dashboard" => Some(Action::Metrics {
                view: MetricsView::Overview,
                unit: None,
            }),
            "/app/org" => Some(Action::ListMembers),
            "/app/rules" => Some(Action::ListRoutingRules),
            "/app/webhooks" => Some(Action::ListWebhooks),
            "/app/audit" => Some(Action::ReadAudit),
            "/app/initiatives" => Some(Action::ListInitiatives),
            "/app/pulse" => Some(Action::CurrentPulse),
            other => panic!("no page is known behind {other}"),
        }
    }

    fn actor(role: Role) -> Actor {
        Actor {
            id: Uuid::nil(),
            role,
            unit_id: (role != Role::Admin).then(Uuid::nil),
        }
    }

    #[test]
    fn the_navigation_shows_only_pages_the_policy_lets_the_role_use() {
        for role in Role::ALL {
            for (href, _) in links(*role) {
                if let Some(action) = needs(href) {
                    assert!(
                        permit(&actor(*role), &action).is_ok(),
                        "{role:?} is shown {href}, which the policy refuses"
                    );
                }
            }
        }
    }

    #[test]
    fn every_role_that_manages_something_finds_its_page() {
        for href in [
            "/app/org",
            "/app/rules",
            "/app/webhooks",
            "/app/audit",
            "/app/initiatives",
        ] {
            for role in Role::ALL {
                let allowed = needs(href).is_some_and(|a| permit(&actor(*role), &a).is_ok());
                let shown = links(*role).iter().any(|(h, _)| *h == href);
                assert_eq!(allowed, shown, "{role:?} and {href}");
            }
        }
    }
}
