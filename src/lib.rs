//! e-track: the contract portal of pilgrim services.
//!
//! Layers, outermost first:
//! - [`api`]: HTTP handlers per resource: parse, call one use case, render;
//! - [`usecases`]: what each party can do, whatever the interface;
//! - [`access`]: the one place that decides what a caller may see and do;
//! - [`domain`]: pure types and rules, no HTTP and no SQL;
//! - [`storage`]: the only place that knows diesel and the two database backends.

pub mod access;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod demo;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod metrics;
pub mod notify;
pub mod pages;
pub mod sheet;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod usecases;
pub mod webhooks;
