//! Persistence: sea-orm entities, migrations and the repositories that map
//! rows to the domain's types, on SQLite (the embedded default) and
//! PostgreSQL. Every write is one transaction: the change, its event and the
//! version bump commit together or not at all.

pub mod audit;
pub mod backup;
pub mod clock;
mod customer_data;
mod entities;
mod error;
mod filing;
pub mod idempotency;
pub mod inbox;
pub mod initiatives;
pub mod metrics;
pub mod migrations;
mod observe;
mod org;
mod preferences;
pub mod pulse;
mod requests;
pub mod retention;
mod rules;
pub mod schema;
mod search;
mod store;
mod sweeper;
pub mod webhooks;

pub use audit::{AuditEntry, AuditFilter};
pub use error::StoreError;
pub use idempotency::{Idem, IdemKey, StoredResponse};
pub use metrics::{Detail, MetricsQuery};
pub use observe::{OpenAtLevel, PoolUse};
pub use org::{MemberPatch, NewMember, NewUnit, UnitPatch};
pub use pulse::PulseWeek;
pub use requests::{Expectation, Page, RequestFilter, RequestRecord, RequestSort, TrackedRequest};
pub use rules::RuleInput;
pub use schema::SchemaStatus;
pub use search::KnownResolution;
pub use store::{Backend, Store, StoreOptions};
