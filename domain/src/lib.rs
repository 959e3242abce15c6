//! The inverted pyramid itself: who sits where, what a request is, how it moves.
//!
//! Everything here is pure: no I/O, no clock, no framework. The API and the
//! persistence layers call into this crate to decide; they only carry out
//! what it returns.

pub mod audit;
pub mod customer_data;
pub mod initiative;
pub mod lifecycle;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod org;
pub mod policy;
pub mod pulse;
pub mod rollup;
pub mod routing;
pub mod search;
pub mod sla;
pub mod suggest;
pub mod values;
pub mod visibility;
pub mod webhook;

pub use lifecycle::{Command, FollowUpInput, NewEvent, Outcome, Refusal, decide, file};
pub use model::{Channel, EventType, Kind, Level, Role, Status, UnitKind, Urgency};
pub use visibility::{Actor, Scope};
