//! Webhooks (docs/domain.md section 10): the change feed pushed to partner systems, signed as the
//! Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`, `webhook-signature` =
//! `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the `whsec_` secret's key).
//! What is sent is queued by the use cases (`usecases::webhooks`); this module signs, checks
//! targets and sends.

pub mod worker;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::domain::Invalid;

/// The longest target URL.
pub const MAX_URL_CHARS: usize = 2000;

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

/// `v1,<signature>` of one message under one secret; `None` for a secret that is not one.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Where deliveries may go. Loopback, private, link-local and other non-public addresses are
/// refused unless the operator allows them (`ETRACK_WEBHOOKS_ALLOW_PRIVATE`), and so is plain
/// `http`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TargetPolicy {
    pub allow_private: bool,
}

impl TargetPolicy {
    /// A subscriber's URL, checked: `https://host[:port]/path` with no credentials in it.
    pub fn check_url(&self, url: &str) -> Result<String, Invalid> {
        let url = url.trim();
        if url.chars().count() > MAX_URL_CHARS {
            return Err(Invalid::with_limit("too_long", MAX_URL_CHARS));
        }
        let uri: awc::http::Uri = url.parse().map_err(|_| Invalid::new("invalid_url"))?;
        let scheme_ok = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => self.allow_private,
            _ => false,
        };
        let authority = uri.authority().ok_or(Invalid::new("invalid_url"))?;
        if !scheme_ok || authority.as_str().contains('@') || url.contains('#') {
            return Err(Invalid::new("invalid_url"));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if !self.host_allowed(host) {
            return Err(Invalid::new("target_not_allowed"));
        }
        Ok(url.to_owned())
    }

    /// A host name or address literal that may be a target (names are checked again once
    /// resolved, see [`GuardedResolver`]).
    pub fn host_allowed(&self, host: &str) -> bool {
        if self.allow_private {
            return true;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host == "localhost" || host.ends_with(".localhost") || host.is_empty() {
            return false;
        }
        match host.parse::<IpAddr>() {
            Ok(ip) => is_public(ip),
            Err(_) => true,
        }
    }
}

/// An address on the public internet: not loopback, private, link-local, shared, reserved,
/// documentation, multicast or unspecified (IPv4-mapped and NAT64 IPv6 addresses as their IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return is_public_v4(Ipv4Addr::new(a, b, c, d));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || v6 == Ipv6Addr::from([0u16, 0, 0, 0, 0, 0, 0, 1]))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

/// Resolves target names with the system's resolver and keeps only the addresses the policy
/// allows, so that a name cannot lead a delivery to an address its URL could not name.
pub struct GuardedResolver {
    pub policy: TargetPolicy,
}

impl actix_tls::connect::Resolve for GuardedResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> futures_util::future::LocalBoxFuture<'a, Result<Vec<SocketAddr>, Box<dyn std::error::Error>>>
    {
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| self.policy.allow_private || is_public(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err("the target resolves to no address deliveries may go to".into());
            }
            Ok(allowed)
        })
    }
}

/// The HTTP client deliveries go out with: TLS with the public web's roots, names resolved through
/// [`GuardedResolver`], no redirects followed, every request bounded by `timeout`.
pub fn client(policy: TargetPolicy, timeout: Duration) -> awc::Client {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    let resolver = actix_tls::connect::Resolver::custom(GuardedResolver { policy });
    let mut connector = awc::Connector::new()
        .connector(actix_tls::connect::Connector::new(resolver).service())
        .timeout(timeout);
    if let Ok(mut tls) = tls {
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        connector = connector.rustls_0_23(Arc::new(tls));
    }
    awc::Client::builder()
        .connector(connector)
        .disable_redirects()
        .timeout(timeout)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(sign("not a secret", id, 1, body), None);
        let fresh = new_secret();
        assert!(fresh.starts_with("whsec_") && sign(&fresh, id, 1, body).is_some());
    }

    #[test]
    fn targets_must_be_public_https_unless_allowed() {
        let strict = TargetPolicy::default();
        assert!(
            strict
                .check_url("https://hajj.example.id/hooks/etrack")
                .is_ok()
        );
        for bad in [
            "http://hajj.example.id/hooks",
            "https://127.0.0.1/x",
            "https://localhost:8443/x",
            "https://a.localhost/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[fe80::1]/x",
            "https://[fd00::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://user:pass@hajj.example.id/x",
            "ftp://hajj.example.id/x",
            "not a url",
        ] {
            assert!(strict.check_url(bad).is_err(), "{bad}");
        }
        let open = TargetPolicy {
            allow_private: true,
        };
        assert!(open.check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(is_public("8.8.8.8".parse().unwrap()));
        assert!(!is_public("192.168.1.1".parse().unwrap()));
    }
}
