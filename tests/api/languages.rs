//! Messages in the reader's language: Chinese without `Accept-Language` and for languages we do
//! not write, English on request, the codes the same in both; at every edge (GraphQL errors,
//! `UserError`s, the engine's own refusals, HTTP refusals, the export endpoints, subscriptions).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    harness::{TestApp, messages_in},
    world::World,
    ws::{Received, WsClient},
};

/// What the server answered: status, `Content-Language`, body.
struct Answer {
    status: StatusCode,
    language: Option<String>,
    body: Value,
}

/// A client without the harness's default `Accept-Language: en`.
async fn ask(
    language: Option<&str>,
    token: Option<&str>,
    request: impl FnOnce(&reqwest::Client) -> reqwest::RequestBuilder,
) -> Answer {
    let client = reqwest::Client::new();
    let mut builder = request(&client);
    if let Some(language) = language {
        builder = builder.header("accept-language", language);
    }
    if let Some(token) = token {
        builder = builder.bearer_auth(token);
    }
    let response = builder.send().await.expect("request");
    let status = response.status();
    let language = response
        .headers()
        .get("content-language")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        language,
        body,
    }
}

async fn graphql(
    app: &TestApp,
    language: Option<&str>,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Answer {
    let url = app.url("/graphql");
    ask(language, token, |c| {
        c.post(url)
            .json(&json!({ "query": query, "variables": variables }))
    })
    .await
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

const WEAK_REGISTRATION: &str = r#"mutation {
  register(input: {username: "语言测试", password: "short", displayName: ""}) {
    user { id }
    errors { field code message }
  }
}"#;

#[tokio::test]
async fn every_edge_answers_in_chinese_unless_english_is_asked_for() {
    let w = World::build().await;
    let app = &w.app;
    let export = app.url("/exports/ledger.csv?groupBy=COUNTY,COUNTY");

    for (language, chinese) in [
        (None, true),
        (Some("zh-CN,zh;q=0.9"), true),
        (Some("fr-FR, de;q=0.8"), true),
        (Some("*"), true),
        (Some("en-US,en;q=0.9"), false),
        (Some("fr;q=0.9, en;q=0.5"), false),
    ] {
        let expected_language = if chinese { "zh-CN" } else { "en" };
        let mut answers = Vec::new();
        // A payload's UserErrors.
        answers.push(graphql(app, language, None, WEAK_REGISTRATION, json!({})).await);
        // A resolver's top-level error.
        answers.push(
            graphql(
                app,
                language,
                w.outsider.token(),
                "mutation($id: ID!) { publishProduct(input: {id: $id}) { errors { code message } } }",
                json!({ "id": w.producer_id }),
            )
            .await,
        );
        // The engine's own: an unknown field.
        answers.push(graphql(app, language, None, "{ noSuchField }", json!({})).await);
        // A refusal at the HTTP edge: a body that is not JSON.
        let url = app.url("/graphql");
        answers.push(
            ask(language, None, |c| {
                c.post(url)
                    .header("content-type", "application/json")
                    .body("{not json")
            })
            .await,
        );
        // An export's refusal.
        let url = export.clone();
        answers.push(ask(language, w.auditor.token(), |c| c.get(url)).await);
        // A bad token, refused before anything runs.
        answers.push(
            graphql(
                app,
                language,
                Some("not-a-token"),
                "{ me { id } }",
                json!({}),
            )
            .await,
        );

        for answer in &answers {
            assert_eq!(
                answer.language.as_deref(),
                Some(expected_language),
                "{language:?}: {}",
                answer.body
            );
            let found = messages_in(&answer.body);
            assert!(
                !found.is_empty(),
                "{language:?}: no message in {}",
                answer.body
            );
            for (code, message) in found {
                assert!(!code.is_empty(), "{message}: no code");
                assert_eq!(
                    has_chinese(&message),
                    chinese,
                    "{language:?} answered {code}: {message}"
                );
                assert!(!message.contains("%{"), "unfilled: {message}");
            }
        }
    }
}

#[tokio::test]
async fn both_languages_give_the_same_codes_and_fields() {
    let w = World::build().await;
    let zh = graphql(&w.app, None, None, WEAK_REGISTRATION, json!({})).await;
    let en = graphql(&w.app, Some("en"), None, WEAK_REGISTRATION, json!({})).await;
    let shape = |a: &Answer| -> Vec<(Value, Value)> {
        a.body["data"]["register"]["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| (e["field"].clone(), e["code"].clone()))
            .collect()
    };
    assert!(shape(&zh).len() >= 2, "{}", zh.body);
    assert_eq!(shape(&zh), shape(&en));
    let zh_text = zh.body["data"]["register"]["errors"][0]["message"].clone();
    let en_text = en.body["data"]["register"]["errors"][0]["message"].clone();
    assert_ne!(zh_text, en_text);
    assert_eq!(zh.status, en.status);
}

#[tokio::test]
async fn subscriptions_speak_the_language_of_their_upgrade() {
    let w = World::build().await;
    for (language, chinese) in [(None, true), (Some("en"), false), (Some("ja"), true)] {
        let mut client = WsClient::open_in(&w.app.base, language).await;
        let token = w.outsider.token().expect("token");
        client
            .send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
            .await;
        assert!(matches!(
            client.next(Duration::from_secs(10)).await,
            Received::Message(m) if m["type"] == "connection_ack"
        ));
        client
            .subscribe("1", "subscription { demandPosted { id } }", json!({}))
            .await;
        let message = match client.next(Duration::from_secs(15)).await {
            Received::Message(m) if m["type"] == "error" => m["payload"][0].clone(),
            Received::Message(m) if m["type"] == "next" => m["payload"]["errors"][0].clone(),
            other => panic!("expected an error, got {other:?}"),
        };
        assert_eq!(message["extensions"]["code"], "FORBIDDEN", "{message}");
        let text = message["message"].as_str().expect("message");
        assert_eq!(has_chinese(text), chinese, "{language:?}: {text}");
    }
}
