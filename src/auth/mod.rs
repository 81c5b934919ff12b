//! Who is calling: passwords, access tokens, refresh tokens and API keys, and the extractor that
//! turns a request's credentials into a [`crate::access::Caller`].

pub mod extract;
pub mod jwt;
pub mod password;
pub mod secret;
pub mod throttle;
