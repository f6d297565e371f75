//! Messages in the reader's language. Every message a client may read (errors, `UserError`s,
//! refusals at the HTTP edge) has a key in one catalogue, `locales/messages.yml`, with its
//! Chinese and English text side by side; `rust-i18n` compiles it into the binary. A request's
//! language comes from `Accept-Language` (Chinese when it names neither), set for the whole
//! request by `http::speak_the_readers_language`, so rules build messages with [`msg!`] without passing a
//! language around. `tests::every_key_in_the_code_is_in_both_languages` keeps the catalogue
//! complete.

use std::{borrow::Cow, fmt::Display, future::Future};

use axum::http::{HeaderMap, header};

/// The languages messages are written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    /// Simplified Chinese, for anyone who names neither language.
    #[default]
    ZhCn,
    En,
}

impl Locale {
    pub fn tag(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }

    /// The language an `Accept-Language` header prefers among ours: the highest `q` wins, ties
    /// in the order written; `*`, unknown languages and a malformed header fall back to Chinese.
    pub fn negotiate(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Self::default();
        };
        let mut best: Option<(u16, Self)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), quality_per_mille);
            let (Some(quality), Some(locale)) = (quality, Self::of_tag(&tag)) else {
                continue;
            };
            if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, locale));
            }
        }
        best.map(|(_, locale)| locale).unwrap_or_default()
    }

    fn of_tag(tag: &str) -> Option<Self> {
        match tag.split(['-', '_']).next()? {
            "zh" => Some(Self::ZhCn),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    pub fn of_headers(headers: &HeaderMap) -> Self {
        Self::negotiate(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    }
}

/// `q=0.8` as 800; `None` when it is not a number from 0 to 1.
fn quality_per_mille(text: &str) -> Option<u16> {
    let q: f32 = text.trim().parse().ok()?;
    // Truncation is intended: three decimals are all RFC 9110 allows.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (0.0..=1.0).contains(&q).then_some((q * 1000.0) as u16)
}

// rust-i18n reads the catalogue inside a macro, which cargo does not track; this makes an edit
// of the catalogue rebuild the crate.
const _CATALOGUE: &str = include_str!("../locales/messages.yml");

tokio::task_local! {
    static LOCALE: Locale;
}

/// The language of the request being served (Chinese outside any request: jobs, the CLI).
pub fn current() -> Locale {
    LOCALE.try_with(|l| *l).unwrap_or_default()
}

/// Runs `f` with messages in `locale`, outside async code (unit tests, the CLI).
pub fn sync_scope<R>(locale: Locale, f: impl FnOnce() -> R) -> R {
    LOCALE.sync_scope(locale, f)
}

/// `tokio::task::spawn_blocking` that keeps the request's language (a task-local does not
/// cross into the blocking pool by itself).
pub fn spawn_blocking<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> tokio::task::JoinHandle<R> {
    let locale = current();
    tokio::task::spawn_blocking(move || sync_scope(locale, f))
}

/// Runs `future` with messages in `locale`.
pub async fn scope<F: Future>(locale: Locale, future: F) -> F::Output {
    LOCALE.scope(locale, future).await
}

/// The catalogue's text for `key` in the current language, its `%{name}`s filled from `args`.
/// A key missing from the catalogue (which the tests rule out) shows as the key itself and is
/// logged, rather than failing the request.
pub fn render(key: &str, args: &[(&str, &dyn Display)]) -> String {
    let template = translate(current(), key);
    if args.is_empty() {
        return template.into_owned();
    }
    let mut text = template.into_owned();
    for (name, value) in args {
        let placeholder = format!("%{{{name}}}");
        if text.contains(&placeholder) {
            text = text.replace(&placeholder, &value.to_string());
        }
    }
    text
}

/// The catalogue's text for `key`, without placeholders filled.
pub fn text(key: &str) -> String {
    render(key, &[])
}

fn translate(locale: Locale, key: &str) -> Cow<'static, str> {
    match crate::_rust_i18n_try_translate(locale.tag(), key) {
        Some(text) => text,
        None => {
            tracing::error!(
                key,
                locale = locale.tag(),
                "message missing from the catalogue"
            );
            Cow::Owned(key.to_owned())
        }
    }
}

/// A message from the catalogue in the reader's language:
/// `msg!("orders.order_has_1_lines", max_lines = MAX_LINES)`.
#[macro_export]
macro_rules! msg {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::render(
            $key,
            &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),*],
        )
    };
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    #[test]
    fn accept_language_picks_our_best_language() {
        assert_eq!(Locale::negotiate(None), Locale::ZhCn);
        assert_eq!(Locale::negotiate(Some("en")), Locale::En);
        assert_eq!(Locale::negotiate(Some("en-US,en;q=0.9")), Locale::En);
        assert_eq!(
            Locale::negotiate(Some("zh-CN,zh;q=0.9,en;q=0.8")),
            Locale::ZhCn
        );
        assert_eq!(Locale::negotiate(Some("zh-TW")), Locale::ZhCn);
        assert_eq!(Locale::negotiate(Some("fr-FR, en;q=0.5")), Locale::En);
        assert_eq!(Locale::negotiate(Some("en;q=0.4, zh;q=0.6")), Locale::ZhCn);
        assert_eq!(Locale::negotiate(Some("zh;q=0, en;q=0.1")), Locale::En);
    }

    #[test]
    fn unknown_or_malformed_languages_fall_back_to_chinese() {
        for header in [
            "fr",
            "de-DE,ja;q=0.9",
            "*",
            "",
            ";;;",
            "en;q=x",
            "en;q=2",
            "en;q=0",
        ] {
            assert_eq!(Locale::negotiate(Some(header)), Locale::ZhCn, "{header:?}");
        }
    }

    #[tokio::test]
    async fn messages_follow_the_request_language() {
        let zh = scope(Locale::ZhCn, async {
            msg!("orders.order_has_1_lines", max_lines = 50)
        })
        .await;
        let en = scope(Locale::En, async {
            msg!("orders.order_has_1_lines", max_lines = 50)
        })
        .await;
        assert!(en.contains("50") && en.contains("lines"), "{en}");
        assert!(zh.contains("50") && !zh.contains("lines"), "{zh}");
        assert_eq!(current(), Locale::ZhCn);
    }

    /// The catalogue: key → language → text.
    fn catalogue() -> BTreeMap<String, BTreeMap<String, String>> {
        let text = include_str!("../locales/messages.yml");
        let mut map: BTreeMap<String, serde_yaml::Value> =
            serde_yaml::from_str(text).expect("the catalogue is YAML");
        map.remove("_version");
        map.into_iter()
            .map(|(key, texts)| {
                (
                    key,
                    serde_yaml::from_value(texts).expect("texts by language"),
                )
            })
            .collect()
    }

    fn placeholders(text: &str) -> BTreeSet<&str> {
        text.split("%{")
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect()
    }

    fn is_key_word(name: &str) -> bool {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }

    /// Every key a rule, resolver or HTTP handler can answer with, read off the source:
    /// the keys `msg!` names, and the `forbidden.…`/`not_found.…` keys `Forbidden` and `NotFound` carry.
    fn keys_in_code() -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for (_, source) in sources() {
            // rustfmt may break a long `msg!(` before its key.
            for rest in source.split("msg!(").skip(1) {
                if let Some(rest) = rest.trim_start().strip_prefix('"')
                    && let Some((key, _)) = rest.split_once('"')
                    && key
                        .split_once('.')
                        .is_some_and(|(a, b)| is_key_word(a) && is_key_word(b))
                {
                    keys.insert(key.to_owned());
                }
            }
            // `Forbidden` and `NotFound` carry their key as a plain string.
            for prefix in ["forbidden.", "not_found."] {
                for rest in source.split(&format!("\"{prefix}")).skip(1) {
                    if let Some((name, _)) = rest.split_once('"')
                        && is_key_word(name)
                    {
                        keys.insert(format!("{prefix}{name}"));
                    }
                }
            }
        }
        keys
    }

    /// Every source file of the crate, but this one, by path.
    fn sources() -> Vec<(String, String)> {
        let mut found = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if !path.ends_with("i18n.rs") {
                    let source = std::fs::read_to_string(&path).expect("source");
                    found.push((path.display().to_string(), source));
                }
            }
        }
        found
    }

    #[test]
    fn every_key_in_the_code_is_in_both_languages() {
        let catalogue = catalogue();
        assert!(
            catalogue.len() > 300,
            "catalogue read: {} keys",
            catalogue.len()
        );
        let keys = keys_in_code();
        assert!(keys.len() > 300, "keys found in the code: {}", keys.len());
        let mut problems = Vec::new();
        for key in &keys {
            match catalogue.get(key) {
                None => problems.push(format!("{key}: not in the catalogue")),
                Some(texts) => {
                    for locale in [Locale::ZhCn, Locale::En] {
                        if texts.get(locale.tag()).is_none_or(|t| t.trim().is_empty()) {
                            problems.push(format!("{key}: no {} text", locale.tag()));
                        }
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn both_languages_fill_the_same_placeholders_and_no_key_is_unused() {
        let keys = keys_in_code();
        let mut problems = Vec::new();
        for (key, texts) in catalogue() {
            let zh = texts
                .get("zh-CN")
                .map(|t| placeholders(t))
                .unwrap_or_default();
            let en = texts.get("en").map(|t| placeholders(t)).unwrap_or_default();
            if zh != en {
                problems.push(format!("{key}: zh-CN fills {zh:?}, en fills {en:?}"));
            }
            if !keys.contains(&key) {
                problems.push(format!("{key}: used nowhere"));
            }
            if texts.len() != 2 {
                problems.push(format!("{key}: languages {:?}", texts.keys()));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// The top-level arguments of the macro call `rest` starts inside of, up to its `)`.
    fn call_arguments(rest: &str) -> Vec<String> {
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        let (mut args, mut current) = (Vec::new(), String::new());
        for c in rest.chars() {
            if in_string {
                in_string = c != '"' || escaped;
                escaped = c == '\\' && !escaped;
                current.push(c);
                continue;
            }
            match c {
                '"' => in_string = true,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => break,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    args.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        args.push(current);
        args.into_iter()
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect()
    }

    #[test]
    fn every_call_fills_exactly_its_messages_placeholders() {
        let catalogue = catalogue();
        let mut problems = Vec::new();
        let mut calls = 0;
        for (path, source) in sources() {
            for (at, opener) in source.match_indices("msg!(") {
                let args = call_arguments(&source[at + opener.len()..]);
                let Some(key) = args
                    .first()
                    .and_then(|k| k.strip_prefix('"')?.strip_suffix('"'))
                else {
                    continue;
                };
                let Some(texts) = catalogue.get(key) else {
                    continue;
                };
                calls += 1;
                let given: BTreeSet<&str> = args[1..]
                    .iter()
                    .filter_map(|a| a.split_once('=').map(|(name, _)| name.trim()))
                    .collect();
                let wanted = placeholders(&texts["en"]);
                if given != wanted {
                    problems.push(format!(
                        "{path}: {key} is given {given:?}, fills {wanted:?}"
                    ));
                }
            }
        }
        assert!(calls > 400, "calls checked: {calls}");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn rust_i18n_serves_the_catalogue_in_both_languages() {
        for (key, texts) in catalogue() {
            for locale in [Locale::ZhCn, Locale::En] {
                assert_eq!(
                    translate(locale, &key),
                    texts[locale.tag()].as_str(),
                    "{key} in {}",
                    locale.tag()
                );
            }
        }
    }
}
