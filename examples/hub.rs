//! A websocket hub: every message a client sends is broadcast to every
//! connected client. Each connection runs a reader and a writer; all of
//! them, and the hub, stop when the root context is cancelled, instead of
//! lingering as tasks nobody owns.
//!
//! Run it with `cargo run --example hub`: it starts the hub, connects two
//! clients, lets them talk, then cancels the root context and waits until
//! every session has ended. `--wait` keeps serving until Ctrl-C
//! (connect with any websocket client to `ws://ADDR/ws`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::routing::get;
use axum::Router;
use context::signal::{notify_context, Signal};
use context::{ctx_aware, Context, Error};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{broadcast, Notify};

/// The hub's shared state. The root context is not stored here: it is
/// passed to each session as an argument, as Go passes `ctx`.
#[derive(Clone)]
struct Hub {
    tx: broadcast::Sender<String>,
    live: Arc<AtomicUsize>,
    all_gone: Arc<Notify>,
}

/// Counts a session while it runs.
struct Session(Hub);
impl Drop for Session {
    fn drop(&mut self) {
        if self.0.live.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.all_gone.notify_waiters();
        }
    }
}

/// Client -> hub. Each await is raced against the root context.
#[ctx_aware]
async fn read_loop(
    mut from_client: futures_util::stream::SplitStream<WebSocket>,
    tx: broadcast::Sender<String>,
) -> Result<(), Error> {
    while let Some(Ok(msg)) = from_client.next().await {
        if let Message::Text(text) = msg {
            let _ = tx.send(text.to_string());
        }
    }
    Ok(())
}

/// Hub -> client.
#[ctx_aware]
async fn write_loop(
    mut to_client: futures_util::stream::SplitSink<WebSocket, Message>,
    mut rx: broadcast::Receiver<String>,
) -> Result<(), Error> {
    while let Ok(text) = rx.recv().await {
        if to_client.send(Message::Text(text.into())).await.is_err() {
            break;
        }
    }
    Ok(())
}

async fn session(root: Context, hub: Hub, socket: WebSocket) {
    hub.live.fetch_add(1, Ordering::SeqCst);
    let _count = Session(hub.clone());
    let (sink, stream) = socket.split();
    let rx = hub.tx.subscribe();
    // Whichever side ends first (client left, or the root was cancelled)
    // ends the session: dropping the other half closes the socket.
    tokio::select! {
        r = read_loop(&root, stream, hub.tx.clone()) => r,
        r = write_loop(&root, sink, rx) => r,
    }
    .ok();
}

/// The route: each upgraded connection becomes a session under `root`.
fn routes(root: Context, hub: Hub) -> Router {
    Router::new().route(
        "/ws",
        get(move |ws: WebSocketUpgrade| async move {
            ws.on_upgrade(move |socket| session(root, hub, socket))
        }),
    )
}

async fn demo(addr: std::net::SocketAddr, stop: &context::CancelFunc) {
    use tokio_tungstenite::tungstenite::Message as M;
    let url = format!("ws://{addr}/ws");
    let (mut ana, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connect");
    let (mut bo, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connect");
    ana.send(M::text("hello from ana")).await.unwrap();
    for (name, c) in [("ana", &mut ana), ("bo", &mut bo)] {
        if let Some(Ok(m)) = c.next().await {
            println!("{name} received: {}", m.into_text().unwrap());
        }
    }
    println!("cancelling the root context");
    stop.cancel();
    // The server closes both sockets: each client sees its stream end.
    for (name, c) in [("ana", &mut ana), ("bo", &mut bo)] {
        while let Some(Ok(_)) = c.next().await {}
        println!("{name}: connection closed by the hub");
    }
}

#[tokio::main]
async fn main() {
    let (root, stop) = notify_context(
        &Context::background(),
        &[Signal::Interrupt, Signal::Terminate],
    );
    let (tx, _) = broadcast::channel(64);
    let hub = Hub {
        tx,
        live: Arc::default(),
        all_gone: Arc::default(),
    };
    let app = routes(root.clone(), hub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    println!("hub on ws://{addr}/ws");
    let shutdown = root.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.done().await })
            .await
    });

    if std::env::args().any(|a| a == "--wait") {
        println!("Ctrl-C to stop");
    } else {
        demo(addr, &stop).await;
    }

    root.done().await;
    // Wait, on an event, for every session to have ended.
    let gone = hub.all_gone.notified();
    if hub.live.load(Ordering::SeqCst) > 0 {
        tokio::time::timeout(Duration::from_secs(5), gone)
            .await
            .expect("a session outlived the hub");
    }
    server.await.unwrap().unwrap();
    println!(
        "hub stopped: {} sessions left",
        hub.live.load(Ordering::SeqCst)
    );
    drop(stop);
}
