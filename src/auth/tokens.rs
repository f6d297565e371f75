//! Access tokens (short-lived HS256 JWTs carrying the user and roles) and refresh tokens (random,
//! stored only as a SHA-256 hash).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Role;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub roles: Vec<Role>,
}

#[derive(Clone)]
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: chrono::Duration,
}

impl TokenIssuer {
    pub fn new(secret: &[u8], ttl: std::time::Duration) -> Self {
        // Only HS256 is accepted: a token naming `none` or another algorithm is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::minutes(15)),
        }
    }

    pub fn issue(&self, user: Uuid, roles: Vec<Role>) -> AppResult<(String, DateTime<Utc>)> {
        let now = Utc::now();
        let expires = now + self.ttl;
        let claims = Claims {
            sub: user,
            iat: now.timestamp(),
            exp: expires.timestamp(),
            roles,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok((token, expires))
    }

    /// The claims of a valid, unexpired token signed with our key.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// A new refresh token and the hash that is stored in its place.
pub fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(
            b"test-secret-of-sufficient-length!",
            std::time::Duration::from_secs(60),
        )
    }

    #[test]
    fn issued_tokens_verify() {
        let user = Uuid::now_v7();
        let (token, _) = issuer().issue(user, vec![Role::Buyer]).expect("issue");
        let claims = issuer().verify(&token).expect("valid");
        assert_eq!(claims.sub, user);
        assert_eq!(claims.roles, vec![Role::Buyer]);
    }

    #[test]
    fn foreign_tampered_and_unsigned_tokens_are_refused() {
        let (token, _) = issuer().issue(Uuid::now_v7(), vec![]).expect("issue");
        let other = TokenIssuer::new(
            b"another-secret-entirely-different",
            std::time::Duration::from_secs(60),
        );
        assert!(other.verify(&token).is_none());

        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(
            serde_json::json!({"sub": Uuid::now_v7(), "iat": 0, "exp": 4_000_000_000i64, "roles": ["ADMIN"]})
                .to_string(),
        );
        parts[1] = &forged;
        assert!(issuer().verify(&parts.join(".")).is_none());

        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert!(
            issuer()
                .verify(&format!("{none_header}.{forged}."))
                .is_none()
        );
    }

    #[test]
    fn refresh_tokens_are_stored_as_hashes() {
        let (token, hash) = new_refresh_token();
        assert_eq!(hash.len(), 64);
        assert_ne!(token, hash);
        assert_eq!(hash_refresh_token(&token), hash);
    }
}
