//! The audit trail's vocabulary: what kind of thing a recorded change is
//! about ([`AuditEntity`], the `?entity=` filter of `GET /audit`) and what
//! was done to it ([`AuditAction`]). Persistence writes one row per change
//! in the change's own transaction; the API and the pages read them back.

use crate::model::wire_enum;
use crate::org::Member;

wire_enum!(
    /// What a recorded change is about.
    AuditEntity {
        Unit => "unit",
        Member => "member",
        RoutingRule => "routing_rule",
        SlaPolicies => "sla_policies",
        Webhook => "webhook",
        Request => "request",
    }
);

wire_enum!(
    /// What was done. `webhook.disabled` (after a day of failed deliveries)
    /// and a `customer_data.erased` that was due are done by nobody: their
    /// actor is `null`.
    AuditAction {
        UnitCreated => "unit.created",
        UnitUpdated => "unit.updated",
        MemberCreated => "member.created",
        MemberUpdated => "member.updated",
        MemberDeactivated => "member.deactivated",
        RoutingRuleCreated => "routing_rule.created",
        RoutingRuleReplaced => "routing_rule.replaced",
        RoutingRuleDeleted => "routing_rule.deleted",
        SlaPoliciesReplaced => "sla_policies.replaced",
        WebhookCreated => "webhook.created",
        WebhookDeleted => "webhook.deleted",
        WebhookDisabled => "webhook.disabled",
        CustomerDataErased => "customer_data.erased",
    }
);

impl AuditAction {
    /// The kind of thing this action changes.
    pub const fn entity(self) -> AuditEntity {
        use AuditAction::*;
        match self {
            UnitCreated | UnitUpdated => AuditEntity::Unit,
            MemberCreated | MemberUpdated | MemberDeactivated => AuditEntity::Member,
            RoutingRuleCreated | RoutingRuleReplaced | RoutingRuleDeleted => {
                AuditEntity::RoutingRule
            }
            SlaPoliciesReplaced => AuditEntity::SlaPolicies,
            WebhookCreated | WebhookDeleted | WebhookDisabled => AuditEntity::Webhook,
            CustomerDataErased => AuditEntity::Request,
        }
    }

    /// How a change of a member from `before` to `after` is named: turning
    /// an active member off is a deactivation, anything else an update.
    pub fn of_member_change(before: &Member, after: &Member) -> AuditAction {
        if before.active && !after.active {
            AuditAction::MemberDeactivated
        } else {
            AuditAction::MemberUpdated
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_spelt_after_its_entity() {
        for action in AuditAction::ALL {
            let entity = action.entity().as_str();
            let prefix = if entity == "request" {
                "customer_data"
            } else {
                entity
            };
            assert!(
                action.as_str().starts_with(&format!("{prefix}.")),
                "{action}"
            );
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(*action));
        }
        for entity in AuditEntity::ALL {
            assert_eq!(entity.as_str().parse::<AuditEntity>(), Ok(*entity));
        }
        assert!("units".parse::<AuditEntity>().is_err());
    }
}
