//! Password hashing (argon2id, PHC strings) and the password policy.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::error::{AppError, AppResult, ErrorCode, UserError};

const MIN_LENGTH: usize = 10;
const MAX_LENGTH: usize = 128;

/// Passwords people pick first; refusing them stops the cheapest guessing.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "1qaz2wsx3edc",
    "abc1234567",
    "aa123456789",
    "woaini1314",
    "iloveyou123",
    "admin12345",
    "qwerty12345",
    "a123456789",
    "zxcvbnm123",
];

/// Why a password is refused, or `None` when it will do.
pub fn weakness(password: &str, username: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Some(msg!("password.too_short"));
    }
    if chars > MAX_LENGTH {
        return Some(msg!("password.too_long"));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Some(msg!("password.too_common"));
    }
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Some(msg!("password.contains_username"));
    }
    let classes = [
        password.chars().any(char::is_lowercase),
        password.chars().any(char::is_uppercase),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
        password.chars().any(|c| c.is_alphabetic() && !c.is_ascii()),
    ];
    if classes.iter().filter(|&&c| c).count() < 2 {
        return Some(msg!("password.one_kind_of_character"));
    }
    let distinct: std::collections::HashSet<char> = password.chars().collect();
    if distinct.len() < 5 {
        return Some(msg!("password.too_few_distinct"));
    }
    None
}

pub fn check_policy(password: &str, username: &str) -> AppResult<()> {
    match weakness(password, username) {
        Some(reason) => Err(AppError::user(UserError::on(
            "password",
            ErrorCode::WeakPassword,
            reason,
        ))),
        None => Ok(()),
    }
}

/// Hashes off the async runtime: argon2id is deliberately slow.
pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("password hashing failed: {e}")))
    })
    .await
    .map_err(AppError::internal)?
}

/// Verifies against a stored PHC string; `None` burns the same time against a dummy hash so that
/// unknown usernames cannot be told apart by timing.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| AppError::internal(anyhow::anyhow!("stored hash unreadable: {e}")))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && stored != DUMMY_HASH)
    })
    .await
    .map_err(AppError::internal)?
}

/// argon2id of a random string nobody knows, with the default parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Ql5oJ0zCjm0m4V4m0xXoYQ5oD0bqHf6ZC3kq0VQp4i8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_weak_passwords() {
        assert!(weakness("short1", "li").is_some());
        assert!(weakness("password123", "li").is_some());
        assert!(weakness("zhangwei-2026!", "zhangwei").is_some());
        assert!(weakness("aaaaaaaaaaaa", "li").is_some());
        assert!(weakness("abcdefghijkl", "li").is_some(), "one class only");
        assert!(
            weakness("1111122222a", "li").is_some(),
            "too few distinct characters"
        );
        assert_eq!(weakness("红薯丰收-2026年", "zhao.lei"), None);
        assert_eq!(weakness("Lingshou-sweet-potato", "zhao.lei"), None);
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let stored = hash("Lingshou-sweet-potato".into()).await.expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(
            verify("Lingshou-sweet-potato".into(), Some(stored.clone()))
                .await
                .expect("verify")
        );
        assert!(
            !verify("wrong-password-1".into(), Some(stored))
                .await
                .expect("verify")
        );
        assert!(
            !verify("anything-at-all-1".into(), None)
                .await
                .expect("verify")
        );
    }
}
