//! `GET /graphql/ws`: subscriptions over the `graphql-transport-ws` protocol. async-graphql runs
//! the protocol; this loop adds what the protocol asks of the server around it: 4403 when
//! `connection_init` carries no valid token, 4408 when it never comes, 4401 for a subscribe
//! before the acknowledgement, and 4403 again when the token expires mid-connection.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use async_graphql::{
    Data,
    http::{WebSocket as Protocol, WebSocketProtocols, WsMessage},
};
use axum::{
    extract::{
        ConnectInfo, State,
        ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
    },
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use futures_util::{SinkExt, StreamExt, future};
use tokio::sync::oneshot;

use crate::{
    auth::{ClientInfo, Viewer},
    http::{AppState, graphql::admit, graphql::client_ip},
    loaders,
    state::Services,
};

pub const PROTOCOL: &str = "graphql-transport-ws";
/// How long a client may take to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest message a client may send (a subscribe with its query and variables).
const MAX_MESSAGE: usize = 256 * 1024;

const FORBIDDEN: u16 = 4403;
const UNAUTHORIZED: u16 = 4401;
const INIT_TIMED_OUT: u16 = 4408;

pub async fn upgrade(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let client = ClientInfo {
        ip: client_ip(
            &headers,
            Some(peer),
            app.services.settings.trust_forwarded_for,
        ),
    };
    // The connection counts as a request of its client address; the viewer is not known yet.
    if let Err(refusal) = admit(&app.services, None, &client).await {
        return refusal.into_json_response();
    }
    let offered = headers
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim() == PROTOCOL));
    if !offered {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            msg!("http.use_subprotocol", protocol = PROTOCOL),
        )
            .into_response();
    }
    // The connection outlives this request: its errors speak the language the upgrade asked for.
    let locale = crate::i18n::Locale::of_headers(&headers);
    // tungstenite reserves 128 KiB per socket for reading by default; protocol messages are
    // small, and 10,000 idle subscribers should not cost 1.3 GB.
    upgrade
        .protocols([PROTOCOL])
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| crate::i18n::scope(locale, serve(app, socket, client)))
}

/// What `connection_init` decided, for the loop around the protocol.
struct Handshake {
    rejected: Arc<AtomicBool>,
    accepted: oneshot::Receiver<i64>,
}

async fn serve(app: AppState, socket: WebSocket, client: ClientInfo) {
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(Message::Text(text)) => Some(text.as_bytes().to_vec()),
                Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                _ => None,
            })
        });
    let mut data = Data::default();
    // One connection outlives many events: its loaders must not serve yesterday's rows.
    let loaders = loaders::loaders(app.services.db.clone());
    loaders.enable_all_cache(false);
    data.insert(loaders);
    data.insert(client);

    let (accept, accepted) = oneshot::channel();
    let handshake = Handshake {
        rejected: Arc::new(AtomicBool::new(false)),
        accepted,
    };
    let rejected = handshake.rejected.clone();
    let services = app.services.clone();
    let protocol = Protocol::new(app.schema.clone(), input, WebSocketProtocols::GraphQLWS)
        .connection_data(data)
        .on_connection_init(move |payload| async move {
            match viewer_of(&services, &payload) {
                Some((viewer, expires_at)) => {
                    let _ = accept.send(expires_at);
                    let mut data = Data::default();
                    data.insert(viewer);
                    Ok(data)
                }
                None => {
                    rejected.store(true, Ordering::Relaxed);
                    Err("Forbidden: connection_init needs {\"authorization\": \"Bearer <valid access token>\"}".into())
                }
            }
        });
    let protocol = protocol.fuse();
    futures_util::pin_mut!(protocol);

    let Handshake {
        rejected,
        mut accepted,
    } = handshake;
    let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
    futures_util::pin_mut!(init_deadline);
    let mut expiry: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    let mut acknowledged = false;
    let close = loop {
        tokio::select! {
            message = protocol.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    break Some(close_code(code, reason, rejected.load(Ordering::Relaxed)));
                }
                None => break None,
            },
            expires_at = &mut accepted, if !acknowledged => {
                acknowledged = true;
                if let Ok(expires_at) = expires_at {
                    let left = expires_at.saturating_sub(chrono::Utc::now().timestamp());
                    let left = u64::try_from(left).unwrap_or(0);
                    expiry = Some(Box::pin(tokio::time::sleep(Duration::from_secs(left))));
                }
            }
            () = &mut init_deadline, if !acknowledged => {
                break Some((INIT_TIMED_OUT, "Connection initialisation timeout".to_owned()));
            }
            () = async { if let Some(expiry) = expiry.as_mut() { expiry.await } else { future::pending().await } } => {
                break Some((FORBIDDEN, "Forbidden: the access token expired".to_owned()));
            }
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
}

/// async-graphql closes with generic codes; the protocol names specific ones.
fn close_code(code: u16, reason: String, rejected: bool) -> (u16, String) {
    match code {
        1002 if rejected => (FORBIDDEN, reason),
        1011 => (UNAUTHORIZED, "Unauthorized".to_owned()),
        _ => (code, reason),
    }
}

/// The viewer a `connection_init` payload's token names, and when the token expires.
fn viewer_of(services: &Services, payload: &serde_json::Value) -> Option<(Viewer, i64)> {
    let value = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))?
        .as_str()?;
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => value.trim(),
    };
    let claims = services.tokens.verify(token)?;
    Some((
        Viewer {
            user_id: claims.sub,
            roles: claims.roles,
        },
        claims.exp,
    ))
}
