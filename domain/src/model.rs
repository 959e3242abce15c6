//! The vocabulary of the pyramid: levels, roles, unit kinds, statuses and the
//! closed lists a request is described with. Each is a closed enum with one
//! stable wire spelling.

/// A value outside one of the closed lists below.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{value}`; expected one of: {expected}")]
pub struct UnknownValue {
    pub value: String,
    pub expected: String,
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable spelling used on the wire and in the database.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::model::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::model::UnknownValue {
                        value: s.to_owned(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}

/// Other modules of the domain declare their closed lists with it too.
pub(crate) use wire_enum;

wire_enum!(
    /// Where a request sits in the pyramid, from the top (the front line,
    /// closest to the customer) down to leadership.
    Level {
        Frontline => "frontline",
        Manager => "manager",
        Service => "service",
        Leadership => "leadership",
    }
);

impl Level {
    /// How far down the pyramid this level is: the front line is 0.
    pub const fn depth(self) -> u8 {
        match self {
            Level::Frontline => 0,
            Level::Manager => 1,
            Level::Service => 2,
            Level::Leadership => 3,
        }
    }

    /// The level a request reaches when it is routed to a unit of this kind.
    pub const fn of_unit(kind: UnitKind) -> Level {
        match kind {
            UnitKind::Team => Level::Manager,
            UnitKind::Service => Level::Service,
            UnitKind::Leadership => Level::Leadership,
        }
    }
}

wire_enum!(
    /// What a member may do.
    Role {
        Frontline => "frontline",
        Manager => "manager",
        Service => "service",
        Leader => "leader",
        Admin => "admin",
    }
);

wire_enum!(
    /// What a unit is.
    UnitKind {
        Team => "team",
        Service => "service",
        Leadership => "leadership",
    }
);

wire_enum!(
    /// Where a request is in its lifecycle.
    Status {
        New => "new",
        Acknowledged => "acknowledged",
        InProgress => "in_progress",
        Resolved => "resolved",
        Declined => "declined",
        Closed => "closed",
    }
);

impl Status {
    /// Still waiting for an answer somewhere down the pyramid.
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            Status::New | Status::Acknowledged | Status::InProgress
        )
    }
}

wire_enum!(
    /// What the customer asked for.
    Kind {
        Improvement => "improvement",
        Need => "need",
        UnmetNeed => "unmet_need",
        Idea => "idea",
        Praise => "praise",
    }
);

wire_enum!(
    /// How soon the customer needs an answer.
    Urgency {
        Low => "low",
        Normal => "normal",
        High => "high",
        Critical => "critical",
    }
);

wire_enum!(
    /// How the customer reached us.
    Channel {
        InPerson => "in_person",
        Phone => "phone",
        Email => "email",
        Web => "web",
        Social => "social",
    }
);

wire_enum!(
    /// The kinds of timeline entries. The `initiative_*` ones are written on
    /// every request linked to an initiative: when it is linked, when the
    /// initiative moves on or its public note changes, and when it is
    /// dropped (completion writes `resolved`). `customer_data_erased` says
    /// the customer's name and contact were erased, never what they were.
    EventType {
        Filed => "filed",
        Acknowledged => "acknowledged",
        Routed => "routed",
        Escalated => "escalated",
        StatusChanged => "status_changed",
        Comment => "comment",
        Resolved => "resolved",
        Declined => "declined",
        FollowUpRecorded => "follow_up_recorded",
        Reopened => "reopened",
        SlaBreached => "sla_breached",
        InitiativeLinked => "initiative_linked",
        InitiativeProgress => "initiative_progress",
        InitiativeDropped => "initiative_dropped",
        CustomerDataErased => "customer_data_erased",
    }
);

/// The categories an organisation starts with; configurable.
pub const DEFAULT_CATEGORIES: &[&str] = &[
    "product",
    "service",
    "price",
    "availability",
    "staff",
    "premises",
    "other",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_spelling_round_trips() {
        for level in Level::ALL {
            assert_eq!(level.as_str().parse::<Level>(), Ok(*level));
        }
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(*status));
        }
        for kind in EventType::ALL {
            assert_eq!(kind.as_str().parse::<EventType>(), Ok(*kind));
        }
        assert!("Manager".parse::<Level>().is_err());
    }

    #[test]
    fn levels_deepen_towards_leadership() {
        let depths: Vec<u8> = Level::ALL.iter().map(|l| l.depth()).collect();
        assert_eq!(depths, vec![0, 1, 2, 3]);
        assert_eq!(Level::of_unit(UnitKind::Team), Level::Manager);
    }
}
