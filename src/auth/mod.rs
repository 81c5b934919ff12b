//! Who is calling: passwords, access tokens, refresh tokens and API keys; the extractor that reads
//! a request's credentials, and the query that turns them into a [`crate::access::Caller`].

pub mod credentials;
pub mod extract;
pub mod jwt;
pub mod password;
pub mod secret;
pub mod throttle;
