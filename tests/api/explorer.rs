//! Issue 19, item 1: GraphiQL works with no network. With `TEST_CHROMIUM` naming a Chromium
//! (`.ci/run` installs Debian's), headless Chromium opens `/graphql` with every host but
//! 127.0.0.1 unresolvable, signs in as a demo account through the UI (the login mutation, then
//! the token in the headers editor), and runs a query that needs it; driven over the DevTools
//! protocol.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::harness::TestApp;

/// A page driven over the DevTools protocol: one command at a time.
struct Page {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
}

impl Page {
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::Text(command.to_string().into()))
            .await
            .expect("send");
        loop {
            let message = tokio::time::timeout(Duration::from_secs(20), self.socket.next())
                .await
                .expect("an answer from Chromium")
                .expect("open socket")
                .expect("message");
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).expect("JSON");
                if value["id"] == id {
                    return value;
                }
            }
        }
    }

    /// Evaluates `expression` in the page; its value (JSON-able).
    async fn eval(&mut self, expression: &str) -> Value {
        let answer = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true }),
            )
            .await;
        answer["result"]["result"]["value"].clone()
    }

    /// Waits until `expression` is truthy (at most 30 s).
    async fn until(&mut self, expression: &str, what: &str) -> Value {
        let started = Instant::now();
        loop {
            let value = self.eval(expression).await;
            if !(value.is_null() || value == false || value == "") {
                return value;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "timed out: {what}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Puts `text` into the editor under `selector`, runs it, and waits for the response pane
    /// to hold `expect`; the response's text.
    async fn run(&mut self, editor: &str, text: &str, expect: &str) -> String {
        let set = format!(
            "document.querySelector({editor:?}).CodeMirror.setValue({text:?}); true",
            editor = format!("{editor} .CodeMirror"),
            text = text
        );
        assert_eq!(self.eval(&set).await, true, "set {editor}");
        // Let GraphiQL take the new text into its state before running it.
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.eval("document.querySelector('.graphiql-execute-button').click(); true")
            .await;
        let read = format!(
            "(() => {{ const r = document.querySelector('.graphiql-response .CodeMirror'); \
             const v = r ? r.CodeMirror.getValue() : ''; return v.includes({expect:?}) ? v : ''; }})()"
        );
        self.until(&read, expect)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

#[tokio::test]
async fn graphiql_signs_in_and_runs_a_query_with_no_network() {
    let Ok(chromium) = std::env::var("TEST_CHROMIUM") else {
        eprintln!("TEST_CHROMIUM unset: the headless-browser test of GraphiQL is skipped");
        return;
    };
    let app = TestApp::spawn().await;
    assert!(
        fupin_market::demo::seed(&app.state.services)
            .await
            .expect("demo world")
    );
    let profile = tempfile::tempdir().expect("profile dir");
    let mut browser = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--remote-debugging-port=0",
            // Every outside host unreachable: only this machine resolves.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start Chromium");
    // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/…"; the rest of its
    // output is drained so it never blocks.
    let stderr = browser.stderr.take().expect("stderr");
    let (found, port) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut found = Some(found);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("ws://127.0.0.1:").nth(1)
                && let Some(sender) = found.take()
            {
                let _ = sender.send(rest.split('/').next().unwrap_or_default().to_owned());
            }
        }
    });
    let port = tokio::time::timeout(Duration::from_secs(30), port)
        .await
        .expect("DevTools in time")
        .expect("DevTools address");
    let page_url = app.url("/graphql");
    let target: Value = app
        .client
        .put(format!("http://127.0.0.1:{port}/json/new?{page_url}"))
        .send()
        .await
        .expect("new tab")
        .json()
        .await
        .expect("target");
    let ws = target["webSocketDebuggerUrl"]
        .as_str()
        .expect("page socket");
    let (socket, _) = tokio_tungstenite::connect_async(ws).await.expect("attach");
    let mut page = Page { socket, next_id: 0 };
    page.call("Runtime.enable", json!({})).await;

    // GraphiQL renders from this origin alone.
    page.until(
        "!!document.querySelector('.graphiql-container .graphiql-execute-button')",
        "GraphiQL rendered",
    )
    .await;
    let outside = page
        .eval(
            "performance.getEntriesByType('resource').map(e => e.name)\
             .filter(n => !n.startsWith(location.origin))",
        )
        .await;
    assert_eq!(outside, json!([]), "resources from elsewhere");

    // Sign in as a demo buyer through the UI, then ask who we are with the token.
    let login = "mutation { login(input: {username: \"sjz-canteen\", password: \"fupin-demo-2026\"}) { accessToken } }";
    let answer = page
        .run(".graphiql-query-editor", login, "accessToken")
        .await;
    let token = serde_json::from_str::<Value>(&answer).expect("JSON answer")["data"]["login"]
        ["accessToken"]
        .as_str()
        .expect("a token")
        .to_owned();
    page.eval(
        "Array.from(document.querySelectorAll('.graphiql-editor-tools button'))\
         .find(b => /header/i.test(b.textContent)).click(); true",
    )
    .await;
    let headers = json!({ "Authorization": format!("Bearer {token}") }).to_string();
    // The headers editor is the one holding the default `Authorization`.
    let set = format!(
        "(() => {{ const e = Array.from(document.querySelectorAll('.graphiql-editor-tool .CodeMirror'))\
         .find(c => c.CodeMirror.getValue().includes('Authorization')); \
         if (!e) return false; e.CodeMirror.setValue({headers:?}); return true; }})()"
    );
    page.until(&set, "the headers editor").await;
    let me = page
        .run(
            ".graphiql-query-editor",
            "{ me { username } }",
            "sjz-canteen",
        )
        .await;
    assert!(me.contains("\"username\": \"sjz-canteen\""), "{me}");
    browser.kill().ok();
    browser.wait().ok();
}
