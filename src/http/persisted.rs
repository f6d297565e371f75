//! Automatic persisted queries (Apollo's protocol, `extensions.persistedQuery`): a client sends a
//! query's SHA-256 alone; unknown, the answer is `PERSISTED_QUERY_NOT_FOUND` and the client sends
//! the hash with the text once, which is checked and kept. A query sent by hash fits a GET URL,
//! so anonymous reads can be cached by a CDN or nginx in front (`graphql::get`).
//!
//! Resolved here at the HTTP edge, before anything reads the text (GET's no-mutation rule, the
//! shape limits), rather than by async-graphql's extension, which would run after them. Each
//! instance keeps its own texts: a miss costs the client one round trip, as the protocol expects.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use lru::LruCache;
use sha2::{Digest, Sha256};

/// Distinct queries kept per instance: front-ends send a few hundred.
const KEPT: usize = 4096;

/// The query texts this instance has been sent, by SHA-256 (lowercase hex).
#[derive(Clone)]
pub struct PersistedQueries(Arc<Mutex<LruCache<String, Arc<str>>>>);

impl Default for PersistedQueries {
    fn default() -> Self {
        let kept = NonZeroUsize::new(KEPT).unwrap_or(NonZeroUsize::MIN);
        Self(Arc::new(Mutex::new(LruCache::new(kept))))
    }
}

/// What the request's `persistedQuery` extension asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The text, sent or found by its hash.
    Query(String),
    /// A hash this instance has not been sent the text of.
    NotFound,
    /// A hash that is not the text's.
    Mismatch,
}

/// The SHA-256 of a query's text, as the protocol writes it.
pub fn hash_of(query: &str) -> String {
    hash_of_bytes(query.as_bytes())
}

/// SHA-256 in lowercase hex (also the `ETag` of a cacheable answer).
pub fn hash_of_bytes(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `hash` can be a SHA-256 in lowercase hex (anything else is refused unread).
pub fn is_hash(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl PersistedQueries {
    /// The query for `hash`: `query` itself when sent (kept if it matches), else the text kept.
    pub fn resolve(&self, hash: &str, query: Option<String>) -> Lookup {
        match query {
            Some(text) if hash_of(&text) == hash => {
                if let Ok(mut kept) = self.0.lock() {
                    kept.put(hash.to_owned(), Arc::from(text.as_str()));
                }
                Lookup::Query(text)
            }
            Some(_) => Lookup::Mismatch,
            None => self
                .0
                .lock()
                .ok()
                .and_then(|mut kept| kept.get(hash).map(ToString::to_string))
                .map_or(Lookup::NotFound, Lookup::Query),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_kept_by_its_hash_once_the_text_matches() {
        let queries = PersistedQueries::default();
        let text = "{ traceCode(code: \"FP0\") { productName } }";
        let hash = hash_of(text);
        assert!(is_hash(&hash));
        assert!(!is_hash("ABC") && !is_hash(&hash.to_uppercase()));
        assert_eq!(queries.resolve(&hash, None), Lookup::NotFound);
        assert_eq!(
            queries.resolve(&hash, Some("{ other }".into())),
            Lookup::Mismatch
        );
        assert_eq!(
            queries.resolve(&hash, None),
            Lookup::NotFound,
            "nothing kept"
        );
        assert_eq!(
            queries.resolve(&hash, Some(text.into())),
            Lookup::Query(text.into())
        );
        assert_eq!(queries.resolve(&hash, None), Lookup::Query(text.into()));
        // The protocol's own example: the hash of `{__typename}`.
        assert_eq!(
            hash_of("{__typename}"),
            "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"
        );
    }
}
