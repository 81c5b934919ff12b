//! The portal over HTTP: every scenario against the real server, on SQLite and on PostgreSQL.

mod helpers;
mod process;

mod accounts;
mod api_keys;
mod audit;
mod auth;
mod console;
mod contract_visibility;
mod contracts;
mod crash;
mod datasets;
mod documents;
mod errors;
mod facilities;
mod feed;
mod hardening;
mod money;
mod notifications;
mod operations;
mod organizations;
mod planning;
mod processes;
mod races;
mod readiness;
mod seasons;
mod seed;
mod smtp;
mod upkeep;
mod users;
mod visibility;
mod webhooks;
mod world;
