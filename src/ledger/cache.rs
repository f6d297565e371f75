//! Ledger summaries kept at the current tip: a leaf the shared state can hold.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// One group's key (a code, a name, a month or an organisation) and sums.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub keys: Vec<String>,
    pub amount_fen: i64,
    pub quantity: i64,
    pub entries: i64,
}

/// Summaries computed at the ledger's tip. A summary is a function of the rollups, which change
/// only in the transaction that appends an entry and moves the tip; keyed by the tip's sequence
/// and the exact statement (reach included), a hit is never stale, on any instance.
#[derive(Clone, Default)]
pub struct SummaryCache(Arc<Mutex<CachedAtTip>>);

#[derive(Default)]
struct CachedAtTip {
    seq: i64,
    summaries: HashMap<String, Arc<Vec<Group>>>,
}

/// Distinct summaries kept per tip: dashboards ask a handful of questions, over and over.
const CACHED_SUMMARIES: usize = 256;

impl SummaryCache {
    pub(crate) fn get(&self, seq: i64, key: &str) -> Option<Arc<Vec<Group>>> {
        let cached = self.0.lock().ok()?;
        if cached.seq != seq {
            return None;
        }
        cached.summaries.get(key).cloned()
    }

    pub(crate) fn put(&self, seq: i64, key: String, groups: Arc<Vec<Group>>) {
        let Ok(mut cached) = self.0.lock() else {
            return;
        };
        if seq < cached.seq {
            return;
        }
        if seq > cached.seq || cached.summaries.len() >= CACHED_SUMMARIES {
            cached.seq = seq;
            cached.summaries.clear();
        }
        cached.summaries.insert(key, groups);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(amount_fen: i64) -> Arc<Vec<Group>> {
        Arc::new(vec![Group {
            keys: vec!["130126".into()],
            amount_fen,
            quantity: 1,
            entries: 1,
        }])
    }

    #[test]
    fn a_kept_summary_answers_only_at_its_tip() {
        let cache = SummaryCache::default();
        cache.put(5, "q".into(), groups(100));
        assert_eq!(cache.get(5, "q"), Some(groups(100)));
        assert_eq!(cache.get(5, "other"), None);
        assert_eq!(cache.get(6, "q"), None, "the ledger moved on");
    }

    #[test]
    fn an_answer_from_an_older_tip_never_replaces_a_newer_one() {
        let cache = SummaryCache::default();
        cache.put(6, "q".into(), groups(200));
        cache.put(5, "q".into(), groups(100));
        assert_eq!(cache.get(6, "q"), Some(groups(200)));
        cache.put(7, "r".into(), groups(300));
        assert_eq!(
            cache.get(6, "q"),
            None,
            "a newer tip drops the older answers"
        );
        assert_eq!(cache.get(7, "r"), Some(groups(300)));
    }

    #[test]
    fn the_kept_answers_are_bounded() {
        let cache = SummaryCache::default();
        for i in 0..=CACHED_SUMMARIES {
            cache.put(1, format!("q{i}"), groups(1));
        }
        let kept = cache.0.lock().map_or(0, |c| c.summaries.len());
        assert!(kept <= CACHED_SUMMARIES, "{kept} kept");
        assert_eq!(
            cache.get(1, &format!("q{CACHED_SUMMARIES}")),
            Some(groups(1))
        );
    }
}
