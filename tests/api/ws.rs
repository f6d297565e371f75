//! A minimal `graphql-transport-ws` client over tokio-tungstenite, for the subscription tests.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
}

/// What the server sent next.
#[derive(Debug)]
pub enum Received {
    Message(Value),
    Closed(u16, String),
    Nothing,
}

impl WsClient {
    /// Opens `/graphql/ws` on a server at `base` (`http://host:port`).
    pub async fn open(base: &str) -> WsClient {
        Self::open_in(base, None).await
    }

    /// Opens `/graphql/ws`, the upgrade asking for messages in `language` (`Accept-Language`).
    pub async fn open_in(base: &str, language: Option<&str>) -> WsClient {
        let url = format!("{}/graphql/ws", base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().expect("request");
        if let Some(language) = language {
            request
                .headers_mut()
                .insert("accept-language", language.parse().expect("header"));
        }
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let (socket, response) = connect_async(request).await.expect("websocket");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws")
        );
        WsClient { socket }
    }

    /// Opens a connection and completes the handshake with `token`.
    pub async fn signed_in(base: &str, token: &str) -> WsClient {
        let mut client = Self::open(base).await;
        client
            .send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
            .await;
        match client.next(Duration::from_secs(10)).await {
            Received::Message(m) if m["type"] == "connection_ack" => client,
            other => panic!("no connection_ack: {other:?}"),
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next protocol message (pings answered), a close, or nothing within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Received {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return Received::Nothing,
                Ok(None) => return Received::Closed(1006, "gone".into()),
                Ok(Some(Err(_))) => return Received::Closed(1006, "error".into()),
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON message");
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Received::Message(value);
                }
                Message::Close(frame) => {
                    return frame.map_or(Received::Closed(1005, String::new()), |f| {
                        Received::Closed(u16::from(f.code), f.reason.to_string())
                    });
                }
                _ => continue,
            }
        }
    }

    /// The payload of the next `next` message of subscription `id`.
    pub async fn next_data(&mut self, id: &str) -> Value {
        match self.next(Duration::from_secs(15)).await {
            Received::Message(m) if m["type"] == "next" && m["id"] == id => m["payload"].clone(),
            other => panic!("expected data for {id}, got {other:?}"),
        }
    }

    /// The code of the error a subscription failed with (in an `error` message, or in the
    /// errors of its only `next`, as async-graphql sends resolver errors).
    pub async fn next_error_code(&mut self, id: &str) -> String {
        match self.next(Duration::from_secs(15)).await {
            Received::Message(m) if m["id"] == id && m["type"] == "error" => {
                m["payload"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or("<none>")
                    .to_owned()
            }
            Received::Message(m) if m["id"] == id && m["type"] == "next" => m["payload"]["errors"]
                [0]["extensions"]["code"]
                .as_str()
                .unwrap_or("<none>")
                .to_owned(),
            other => panic!("expected an error for {id}, got {other:?}"),
        }
    }

    /// Asserts nothing arrives for a while.
    pub async fn expect_silence(&mut self, wait: Duration) {
        match self.next(wait).await {
            Received::Nothing => {}
            other => panic!("expected nothing, got {other:?}"),
        }
    }

    pub async fn expect_close(&mut self, code: u16) -> String {
        match self.next(Duration::from_secs(20)).await {
            Received::Closed(got, reason) => {
                assert_eq!(got, code, "closed with {got}: {reason}");
                reason
            }
            other => panic!("expected close {code}, got {other:?}"),
        }
    }
}
