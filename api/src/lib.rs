//! Upturn's HTTP face: configuration, telemetry, authentication, routes,
//! problem+json errors, the OpenAPI document, and the web app's pages.
//! `startup` wires it all.

pub mod auth;
pub mod background;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod csv;
pub mod delivery;
pub mod demo;
pub mod error;
pub mod headers;
pub mod http;
pub mod hub;
pub mod openapi;
pub mod prom;
pub mod routes;
pub mod startup;
pub mod telemetry;
pub mod web;
