//! `upturn demo`: a small organisation with requests at every stage, so a
//! new user can walk the pyramid at once. Seeds only an empty database.

use anyhow::Context;
use upturn_domain::initiative::{InitiativeInput, InitiativePatch, NewInitiative, PatchInput};
use upturn_domain::lifecycle::{Customer, FollowUpInput, NewRequest, RouteTarget};
use upturn_domain::model::{Channel, Kind, Role, UnitKind, Urgency};
use upturn_domain::org::{Member, Unit};
use upturn_domain::values::{
    Category, Contact, Name, Note, Satisfaction, Text, Title, WouldRecommend,
};
use upturn_domain::{Actor, Command};
use upturn_persistence::{Expectation, NewMember, NewUnit, Store};

use crate::auth::hash_password;

/// The password of every demo member.
pub const PASSWORD: &str = "upturn-demo";

/// A demo login to print.
#[derive(Debug, Clone)]
pub struct Login {
    pub email: String,
    pub role: String,
    pub unit: String,
}

fn note(text: &str) -> anyhow::Result<Note> {
    Note::parse("note", text).map_err(|e| anyhow::anyhow!(e.message))
}

async fn unit(
    store: &Store,
    name: &str,
    kind: UnitKind,
    categories: &[&str],
) -> anyhow::Result<Unit> {
    store
        .create_unit(
            None,
            NewUnit {
                name: name.to_owned(),
                kind,
                categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            },
            None,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The stage a demo request is brought to.
#[derive(Clone, Copy)]
enum Stage {
    New,
    Acknowledged,
    InProgress,
    ResolvedOnTheSpot,
    ResolvedByManager,
    AtService,
    ServiceWorking,
    ResolvedByService,
    DeclinedByService,
    AtLeadership,
    Closed,
    Reopened,
}

/// Title, kind, category, urgency, channel, what the customer expects, and
/// how it was solved where the demo resolves it (what the knowledge shown
/// at intake offers the next member who meets the same need).
const REQUESTS: &[(&str, Kind, &str, Urgency, Channel, &str, &str)] = &[
    (
        "Trousers in size 44",
        Kind::UnmetNeed,
        "availability",
        Urgency::Normal,
        Channel::InPerson,
        "Find size 44 in store",
        "Ordered size 44 from the Lyon depot; it reached the store within 48 hours and the customer was called.",
    ),
    (
        "Longer opening hours on Saturday",
        Kind::Improvement,
        "service",
        Urgency::Low,
        Channel::InPerson,
        "Shop after work on Saturday",
        "Saturday closing moved from 19:00 to 20:00 for a three-month trial.",
    ),
    (
        "Price tag missing on winter coats",
        Kind::Improvement,
        "price",
        Urgency::High,
        Channel::InPerson,
        "Know the price before trying on",
        "Labelled the whole winter coat rail again and added a price check to the Monday opening round.",
    ),
    (
        "Fitting rooms too few at weekends",
        Kind::Improvement,
        "premises",
        Urgency::Normal,
        Channel::InPerson,
        "Try clothes without queuing",
        "Two spare fitting rooms now open on Saturdays and Sundays, with a sign for the queue.",
    ),
    (
        "Order the blue scarf in stock online",
        Kind::Need,
        "availability",
        Urgency::Normal,
        Channel::Phone,
        "Get the scarf before Friday",
        "Reserved the blue scarf online for pick-up in store on Thursday.",
    ),
    (
        "Thank Léa for her advice",
        Kind::Praise,
        "staff",
        Urgency::Low,
        Channel::InPerson,
        "Tell the team it was great",
        "Passed the thanks on to Léa and to the whole team at the morning briefing.",
    ),
    (
        "Gift wrapping for birthdays",
        Kind::Idea,
        "service",
        Urgency::Low,
        Channel::Web,
        "Offer a wrapped gift",
        "Gift wrapping is now offered at the till, free with the loyalty card.",
    ),
    (
        "Card payment refused at till 2",
        Kind::Improvement,
        "service",
        Urgency::Critical,
        Channel::InPerson,
        "Pay by card without trouble",
        "Replaced the card reader at till 2; card payments go through again.",
    ),
    (
        "Children's shoes out of stock",
        Kind::UnmetNeed,
        "availability",
        Urgency::High,
        Channel::InPerson,
        "Buy school shoes this week",
        "Restocked children's school shoes in sizes 28 to 35 and called the customer when they arrived.",
    ),
    (
        "Wheelchair access at the side door",
        Kind::Need,
        "premises",
        Urgency::High,
        Channel::Email,
        "Enter the shop without help",
        "A ramp and a call bell were fitted at the side door.",
    ),
    (
        "Loyalty points not credited",
        Kind::Improvement,
        "price",
        Urgency::Normal,
        Channel::Phone,
        "See the points on the card",
        "Credited the missing points by hand from the receipt and reported the till fault to IT.",
    ),
    (
        "Staff could explain fabric care",
        Kind::Idea,
        "staff",
        Urgency::Low,
        Channel::Social,
        "Know how to wash wool",
        "Fabric care cards are now at every till, and the team had a short training on wool.",
    ),
];

const STAGES: &[Stage] = &[
    Stage::New,
    Stage::Acknowledged,
    Stage::InProgress,
    Stage::ResolvedOnTheSpot,
    Stage::ResolvedByManager,
    Stage::AtService,
    Stage::ServiceWorking,
    Stage::ResolvedByService,
    Stage::DeclinedByService,
    Stage::AtLeadership,
    Stage::Closed,
    Stage::Reopened,
];

struct Org {
    frontline: Vec<Member>,
    manager: Member,
    service: Member,
    service_unit: Unit,
    leader: Member,
    leadership: Unit,
}

/// Seeds the demo organisation unless the database already has members.
/// Returns the logins to print.
pub async fn seed(store: &Store) -> anyhow::Result<Vec<Login>> {
    let mut logins = Vec::new();
    if store
        .count_members()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        > 0
    {
        let page = store
            .list_members(None, 200)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for m in page.items {
            let unit = match m.unit_id {
                Some(id) => store
                    .unit(id)
                    .await
                    .map(|u| u.name)
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
                None => String::new(),
            };
            logins.push(Login {
                email: m.email,
                role: m.role.as_str().to_owned(),
                unit,
            });
        }
        return Ok(logins);
    }
    tracing::info!("Seeding the demo organisation");
    let hash = hash_password(PASSWORD.to_owned()).await?;
    let leadership = unit(store, "Leadership", UnitKind::Leadership, &[]).await?;
    let purchasing = unit(
        store,
        "Purchasing",
        UnitKind::Service,
        &["product", "availability", "price"],
    )
    .await?;
    let training = unit(
        store,
        "Training",
        UnitKind::Service,
        &["staff", "service", "premises"],
    )
    .await?;
    let lyon = unit(store, "Lyon store", UnitKind::Team, &[]).await?;
    let paris = unit(store, "Paris store", UnitKind::Team, &[]).await?;
    let mut add = async |name: &str,
                         email: &str,
                         role: Role,
                         unit: Option<&Unit>|
           -> anyhow::Result<Member> {
        let member = store
            .create_member(
                None,
                NewMember {
                    name: name.to_owned(),
                    email: email.to_owned(),
                    role,
                    unit_id: unit.map(|u| u.id),
                    password_hash: hash.clone(),
                },
                None,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        logins.push(Login {
            email: email.to_owned(),
            role: role.as_str().to_owned(),
            unit: unit.map(|u| u.name.clone()).unwrap_or_default(),
        });
        Ok(member)
    };
    add("Alex Admin", "admin@upturn.demo", Role::Admin, None).await?;
    let camille = add(
        "Camille Martin",
        "camille@lyon.upturn.demo",
        Role::Frontline,
        Some(&lyon),
    )
    .await?;
    let lucas = add(
        "Lucas Bernard",
        "lucas@lyon.upturn.demo",
        Role::Frontline,
        Some(&lyon),
    )
    .await?;
    let sophie = add(
        "Sophie Laurent",
        "sophie@lyon.upturn.demo",
        Role::Manager,
        Some(&lyon),
    )
    .await?;
    let ines = add(
        "Inès Moreau",
        "ines@paris.upturn.demo",
        Role::Frontline,
        Some(&paris),
    )
    .await?;
    let hugo = add(
        "Hugo Petit",
        "hugo@paris.upturn.demo",
        Role::Frontline,
        Some(&paris),
    )
    .await?;
    let marc = add(
        "Marc Dubois",
        "marc@paris.upturn.demo",
        Role::Manager,
        Some(&paris),
    )
    .await?;
    let paul = add(
        "Paul Girard",
        "paul@purchasing.upturn.demo",
        Role::Service,
        Some(&purchasing),
    )
    .await?;
    let lea = add(
        "Léa Roux",
        "lea@training.upturn.demo",
        Role::Service,
        Some(&training),
    )
    .await?;
    let nadia = add(
        "Nadia Fontaine",
        "nadia@leadership.upturn.demo",
        Role::Leader,
        Some(&leadership),
    )
    .await?;

    let orgs = [
        Org {
            frontline: vec![camille, lucas],
            manager: sophie,
            service: paul,
            service_unit: purchasing,
            leader: nadia.clone(),
            leadership: leadership.clone(),
        },
        Org {
            frontline: vec![ines, hugo],
            manager: marc,
            service: lea,
            service_unit: training,
            leader: nadia,
            leadership,
        },
    ];
    let categories: Vec<String> = upturn_domain::model::DEFAULT_CATEGORIES
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    // A history over the last six weeks, so the figures and the trend have
    // something to show: each request is filed some days ago and worked a
    // few hours apart (the store's clock, set by hand, then let go).
    let today = store.clock().now();
    let mut n = 0usize;
    for (i, org) in orgs.iter().enumerate() {
        for (j, template) in REQUESTS.iter().enumerate() {
            let stage = STAGES[(i * 5 + j) % STAGES.len()];
            let filer = &org.frontline[n % org.frontline.len()];
            n += 1;
            let hours_ago = 48 + (n * 37) % (40 * 24);
            store
                .clock()
                .set(today - chrono::Duration::hours(hours_ago as i64));
            let filed = file_at_stage(store, org, filer, template, stage, &categories, n).await;
            store.clock().follow_system();
            filed?;
        }
    }
    seed_initiative(store, &orgs, &categories).await?;
    Ok(logins)
}

/// The outer loop: customers in both stores asked for size 44 this week;
/// each store's manager links their requests to purchasing's initiative,
/// which is in progress with a note every customer tracking one can read.
async fn seed_initiative(store: &Store, orgs: &[Org], categories: &[String]) -> anyhow::Result<()> {
    let fail = |e: upturn_persistence::StoreError| anyhow::anyhow!("{e}");
    let fields = |errors: Vec<upturn_domain::values::FieldError>| {
        anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let [first, ..] = orgs else {
        return Ok(());
    };
    let purchasing = first.service.actor();
    let target = (store.clock().now() + chrono::Duration::days(30))
        .date_naive()
        .to_string();
    let initiative = store
        .create_initiative(
            &purchasing,
            NewInitiative::parse(InitiativeInput {
                title: "Stock size 44 in every store",
                description: Some("Customers in every store leave without trousers in size 44."),
                unit_id: None,
                target_date: Some(&target),
            })
            .map_err(fields)?,
            None,
        )
        .await
        .map_err(fail)?
        .initiative;
    for org in orgs {
        let mut asked = Vec::new();
        for filer in &org.frontline {
            let input = NewRequest {
                kind: Kind::UnmetNeed,
                category: Category::parse("category", "availability", categories)
                    .map_err(|e| fields(vec![e]))?,
                urgency: Urgency::Normal,
                channel: Channel::InPerson,
                title: Title::parse("title", "No trousers in size 44 again")
                    .map_err(|e| fields(vec![e]))?,
                description: Text::parse("description", "She left without buying.")
                    .map_err(|e| fields(vec![e]))?,
                customer_expectation: note("Size 44 in store")?,
                customer: Some(Customer {
                    name: Name::parse("name", "M. Garnier").ok(),
                    contact: Contact::parse("contact", "+33 6 98 76 54 32").ok(),
                    consent_follow_up: true,
                }),
                resolved_on_the_spot: None,
            };
            let request = store
                .file_request(&filer.actor(), input, None)
                .await
                .map_err(fail)?;
            asked.push(request.id);
        }
        store
            .link_requests(&org.manager.actor(), initiative.id, &asked)
            .await
            .map_err(fail)?;
    }
    store
        .patch_initiative(
            &purchasing,
            initiative.id,
            InitiativePatch::parse(PatchInput {
                status: Some("in_progress"),
                public_note: Some(
                    "Size 44 is ordered for every store; deliveries start next week.",
                ),
                ..PatchInput::default()
            })
            .map_err(fields)?,
            Expectation::default(),
        )
        .await
        .map_err(fail)?;
    Ok(())
}

async fn file_at_stage(
    store: &Store,
    org: &Org,
    filer: &Member,
    (title, kind, category, urgency, channel, expectation, solved): &(
        &str,
        Kind,
        &str,
        Urgency,
        Channel,
        &str,
        &str,
    ),
    stage: Stage,
    categories: &[String],
    n: usize,
) -> anyhow::Result<()> {
    let field =
        |e: upturn_domain::values::FieldError| anyhow::anyhow!("{}: {}", e.field, e.message);
    let with_customer = n.is_multiple_of(2);
    let input = NewRequest {
        kind: *kind,
        category: Category::parse("category", category, categories).map_err(field)?,
        urgency: *urgency,
        channel: *channel,
        title: Title::parse("title", title).map_err(field)?,
        description: Text::parse("description", "Asked at the counter.").map_err(field)?,
        customer_expectation: note(expectation)?,
        customer: with_customer.then(|| Customer {
            name: Name::parse("name", "Mme Lefèvre").ok(),
            contact: Contact::parse("contact", "+33 6 12 34 56 78").ok(),
            consent_follow_up: true,
        }),
        resolved_on_the_spot: matches!(stage, Stage::ResolvedOnTheSpot)
            .then(|| note(solved))
            .transpose()?,
    };
    let request = store
        .file_request(&filer.actor(), input, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let id = request.id;
    let apply = async |actor: Actor, command: Command| -> anyhow::Result<()> {
        let minutes = 5 + (n * 53) % 600;
        store
            .clock()
            .advance(chrono::Duration::minutes(minutes as i64));
        store
            .apply(&actor, id, command, Expectation::default(), None)
            .await
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("Failed to seed a demo request")
    };
    let manager = org.manager.actor();
    let service = org.service.actor();
    let to_service = RouteTarget {
        unit_id: org.service_unit.id,
        kind: UnitKind::Service,
    };
    let to_leadership = RouteTarget {
        unit_id: org.leadership.id,
        kind: UnitKind::Leadership,
    };
    let ack = || Command::Acknowledge { note: None };
    match stage {
        Stage::New | Stage::ResolvedOnTheSpot => {}
        Stage::Acknowledged => apply(manager, ack()).await?,
        Stage::InProgress => {
            apply(
                manager,
                Command::Start {
                    note: Some(note("Checking with the stock room.")?),
                },
            )
            .await?
        }
        Stage::ResolvedByManager | Stage::Closed | Stage::Reopened => {
            apply(manager, ack()).await?;
            apply(
                manager,
                Command::Resolve {
                    note: note(solved)?,
                },
            )
            .await?;
            if !matches!(stage, Stage::ResolvedByManager) {
                let reopen = matches!(stage, Stage::Reopened);
                apply(
                    filer.actor(),
                    Command::FollowUp(FollowUpInput {
                        customer_reached: true,
                        satisfaction: Satisfaction::new("satisfaction", if reopen { 2 } else { 5 })
                            .ok(),
                        would_recommend: WouldRecommend::new(
                            "would_recommend",
                            if reopen { 4 } else { 9 },
                        )
                        .ok(),
                        note: Some(note(if reopen {
                            "Still waiting for the right size."
                        } else {
                            "Delighted."
                        })?),
                        reopen,
                    }),
                )
                .await?;
            }
        }
        Stage::AtService
        | Stage::ServiceWorking
        | Stage::ResolvedByService
        | Stage::DeclinedByService
        | Stage::AtLeadership => {
            apply(manager, ack()).await?;
            apply(
                manager,
                Command::Route {
                    to: to_service,
                    note: note("Needs a change in what we stock.")?,
                },
            )
            .await?;
            match stage {
                Stage::ServiceWorking => apply(service, Command::Start { note: None }).await?,
                Stage::ResolvedByService => {
                    apply(service, ack()).await?;
                    apply(
                        service,
                        Command::Resolve {
                            note: note(solved)?,
                        },
                    )
                    .await?;
                }
                Stage::DeclinedByService => {
                    apply(service, ack()).await?;
                    apply(
                        service,
                        Command::Decline {
                            note: note(
                                "Our supplier stopped this line; we suggest the alternative model.",
                            )?,
                        },
                    )
                    .await?;
                }
                Stage::AtLeadership => {
                    apply(service, ack()).await?;
                    apply(
                        service,
                        Command::Route {
                            to: to_leadership,
                            note: note("Needs a budget decision.")?,
                        },
                    )
                    .await?;
                    apply(org.leader.actor(), ack()).await?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}
