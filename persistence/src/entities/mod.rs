//! sea-orm entities: private to this crate, mapped to domain types in the
//! repositories.

pub mod audit_entry;
pub mod event;
pub mod follow_up;
pub mod idempotency_key;
pub mod inbox_item;
pub mod initiative;
pub mod initiative_request;
pub mod member;
pub mod member_preference;
pub mod pulse_answer;
pub mod pulse_participation;
pub mod request;
pub mod request_unit;
pub mod routing_rule;
pub mod search_term;
pub mod sla_policy;
pub mod unit;
pub mod watcher;
pub mod webhook;
pub mod webhook_delivery;
pub mod webhook_outbox;
