//! Short-lived access tokens: HS256 pinned; `exp`, `iss`, `aud`, `sub` and the token type checked.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::access::Standing;
use crate::domain::ids::{SessionId, UserId};
use crate::domain::organization::{Language, OrgKind, Role};

const ISSUER: &str = "etrack";
const AUDIENCE: &str = "etrack-api";
const ACCESS: &str = "access";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    /// The login session the token belongs to; logging out revokes it.
    pub sid: String,
    pub typ: String,
    pub iat: i64,
    pub exp: i64,
    /// The user's saved language when the token was issued (`en`, `ar`): problems are written
    /// in it when a request asks for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lng: Option<String>,
    /// The caller as it was when the token was issued: its organisation, the organisation's kind,
    /// country and parent, and the user's role (see `access::Standing`). Tokens without them are
    /// valid; their caller is read from the database on each request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub par: Option<String>,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

/// The claims of a valid access token.
#[derive(Debug, Clone)]
pub struct AccessClaims {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub language: Option<Language>,
    pub claimed: Option<Standing>,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(
        &self,
        user_id: &UserId,
        session_id: &SessionId,
        language: Language,
        claimed: &Standing,
    ) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user_id.to_string(),
            sid: session_id.to_string(),
            typ: ACCESS.to_owned(),
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            lng: Some(language.as_str().to_owned()),
            org: Some(claimed.organization_id.to_string()),
            knd: Some(claimed.kind.as_str().to_owned()),
            rol: Some(claimed.role.as_str().to_owned()),
            cty: claimed.country.clone(),
            par: claimed.parent_id.as_ref().map(|p| p.to_string()),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HMAC signing of plain claims cannot fail")
    }

    /// `None` for anything but a valid, unexpired access token of this issuer and audience.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        if data.claims.typ != ACCESS {
            return None;
        }
        let c = data.claims;
        let claimed = (|| {
            Some(Standing {
                organization_id: c.org.as_deref()?.parse().ok()?,
                kind: OrgKind::parse(c.knd.as_deref()?)?,
                role: Role::parse(c.rol.as_deref()?)?,
                country: c.cty.clone(),
                parent_id: match c.par.as_deref() {
                    Some(p) => Some(p.parse().ok()?),
                    None => None,
                },
            })
        })();
        Some(AccessClaims {
            user_id: c.sub.parse().ok()?,
            session_id: c.sid.parse().ok()?,
            language: c.lng.as_deref().and_then(Language::parse),
            claimed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::OrganizationId;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60))
    }

    fn agency() -> Standing {
        Standing {
            organization_id: OrganizationId::generate(),
            kind: OrgKind::Agency,
            role: Role::Officer,
            country: Some("ID".to_owned()),
            parent_id: Some(OrganizationId::generate()),
        }
    }

    #[test]
    fn issued_tokens_verify() {
        let (user, session, claimed) = (UserId::generate(), SessionId::generate(), agency());
        let claims = keys()
            .verify(&keys().issue(&user, &session, Language::Arabic, &claimed))
            .unwrap();
        assert_eq!(claims.user_id, user);
        assert_eq!(claims.session_id, session);
        assert_eq!(claims.language, Some(Language::Arabic));
        assert_eq!(claims.claimed, Some(claimed));
    }

    #[test]
    fn wrong_key_tampering_and_alg_none_are_refused() {
        let token = keys().issue(
            &UserId::generate(),
            &SessionId::generate(),
            Language::English,
            &agency(),
        );
        let other = JwtKeys::new(
            b"another secret of at least 32 bytes!",
            Duration::from_secs(60),
        );
        assert!(other.verify(&token).is_none());

        let parts: Vec<&str> = token.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(
            keys()
                .verify(&format!("{none_header}.{}.", parts[1]))
                .is_none()
        );

        let mut payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        payload["sub"] = UserId::generate().to_string().into();
        let forged = URL_SAFE_NO_PAD.encode(payload.to_string());
        assert!(
            keys()
                .verify(&format!("{}.{forged}.{}", parts[0], parts[2]))
                .is_none()
        );
        assert!(keys().verify("garbage").is_none());
    }
}
