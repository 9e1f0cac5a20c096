//! A three-hop gRPC service on loopback, written against tonic's own
//! server and client types (no `protoc` on the machine: the messages are
//! prost derives, the service the code `tonic-build` would generate, by
//! hand). Each hop takes its context from `ContextLayer`, and calls the
//! next with `context::tonic::request` over a channel behind
//! `PropagateLayer`; the last one sleeps on its context.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskCx, Poll};
use std::time::Duration;

use context::http::{ContextLayer, Propagate, PropagateLayer};
use context::tonic::{request, status, RequestContext, Status};
use context::{Context, Error};
use http::uri::PathAndQuery;
use tokio::sync::Notify;
use tonic::transport::{Channel, Endpoint, Server};
use tower_layer::Layer;
use tower_service::Service;

/// The request: how many hops are left after this one, and how long the
/// last one works.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Ask {
    #[prost(uint32, tag = "1")]
    pub hops_left: u32,
    #[prost(uint64, tag = "2")]
    pub work_ms: u64,
}

/// The answer: each hop's remaining time, in microseconds, first hop first.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Answer {
    #[prost(uint64, repeated, tag = "1")]
    pub budgets_us: Vec<u64>,
}

/// How the last hop's context ended, when it did before its work was done.
#[derive(Clone, Debug, PartialEq)]
pub struct LastEnd {
    pub err: Error,
    pub disconnected: bool,
}

/// What the last hop reports to the test.
#[derive(Default)]
pub struct Probe {
    /// Notified when the last hop starts working.
    pub started: Notify,
    /// Set when its context ended first.
    pub ended: Mutex<Option<LastEnd>>,
    /// Notified when `ended` is set.
    pub ended_signal: Notify,
}

pub const PATH: &str = "/e2e.Hop/Ask";

/// A gRPC client of the hop service over `channel` behind `PropagateLayer`.
pub type HopClient = tonic::client::Grpc<Propagate<Channel>>;

/// Connects a client to `addr`, with `PropagateLayer` on the channel.
pub async fn connect(addr: SocketAddr) -> HopClient {
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .expect("a loopback URI")
        .connect()
        .await
        .expect("connect");
    tonic::client::Grpc::new(PropagateLayer::new().layer(channel))
}

/// A plain client (no `PropagateLayer`), for the benchmark's baseline.
pub async fn connect_plain(addr: SocketAddr) -> tonic::client::Grpc<Channel> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .expect("a loopback URI")
        .connect()
        .await
        .expect("connect");
    tonic::client::Grpc::new(channel)
}

/// One unary call of the hop service.
pub async fn ask<T>(
    client: &mut tonic::client::Grpc<T>,
    req: tonic::Request<Ask>,
) -> Result<Answer, Status>
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    T::ResponseBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    <T::ResponseBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    client
        .ready()
        .await
        .map_err(|e| Status::unavailable(e.into().to_string()))?;
    let codec = tonic_prost::ProstCodec::<Ask, Answer>::default();
    Ok(client
        .unary(req, PathAndQuery::from_static(PATH), codec)
        .await?
        .into_inner())
}

/// One hop: the service tonic's router calls.
#[derive(Clone)]
pub struct Hop {
    next: Option<HopClient>,
    probe: Arc<Probe>,
    /// Served behind `ContextLayer`.
    layered: bool,
}

impl tonic::server::NamedService for Hop {
    const NAME: &'static str = "e2e.Hop";
}

impl Hop {
    async fn handle(mut self, req: tonic::Request<Ask>) -> Result<tonic::Response<Answer>, Status> {
        // Without `ContextLayer` (the benchmark's baseline), a background
        // one, without asking `req.context()` for the `Status` it would
        // make for the missing layer.
        let ctx = if self.layered {
            req.context()?.clone()
        } else {
            Context::background()
        };
        let ask = req.into_inner();
        let budget = ctx.remaining().map_or(u64::MAX, |d| d.as_micros() as u64);
        if let (Some(next), true) = (self.next.as_mut(), ask.hops_left > 0) {
            let down = Ask {
                hops_left: ask.hops_left - 1,
                work_ms: ask.work_ms,
            };
            let mut answer = ask_next(next, request(&ctx, down)?).await?;
            answer.budgets_us.insert(0, budget);
            return Ok(tonic::Response::new(answer));
        }
        if ask.work_ms > 0 {
            // When the client goes away, hyper drops this handler mid-await:
            // what its context ended with is recorded by an after-func.
            let (probe, seen) = (self.probe.clone(), ctx.clone());
            let _ = ctx.after_func(move || {
                let end = LastEnd {
                    err: seen.err().expect("ended"),
                    disconnected: seen
                        .cause()
                        .is_some_and(|c| c.downcast_ref::<context::http::Disconnected>().is_some()),
                };
                *probe.ended.lock().unwrap() = Some(end);
                probe.ended_signal.notify_one();
            });
            self.probe.started.notify_one();
            if ctx
                .run(tokio::time::sleep(Duration::from_millis(ask.work_ms)))
                .await
                .is_err()
            {
                return Err(status(&ctx).expect("ended"));
            }
        }
        Ok(tonic::Response::new(Answer {
            budgets_us: vec![budget],
        }))
    }
}

async fn ask_next(next: &mut HopClient, req: tonic::Request<Ask>) -> Result<Answer, Status> {
    ask(next, req).await
}

/// The method, as tonic's `UnaryService` (a tower service of requests).
struct Method(Hop);

impl Service<tonic::Request<Ask>> for Method {
    type Response = tonic::Response<Answer>;
    type Error = Status;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Status>> + Send>>;

    fn poll_ready(&mut self, _: &mut TaskCx<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: tonic::Request<Ask>) -> Self::Future {
        Box::pin(self.0.clone().handle(req))
    }
}

impl<B> Service<http::Request<B>> for Hop
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut TaskCx<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let hop = self.clone();
        Box::pin(async move {
            let mut grpc =
                tonic::server::Grpc::new(tonic_prost::ProstCodec::<Answer, Ask>::default());
            Ok(grpc.unary(Method(hop), req).await)
        })
    }
}

/// Serves one hop on a loopback port: with `ContextLayer` from `base`, or
/// without any layer (`None`: the benchmark's baseline). `next` is the hop
/// it calls.
pub async fn serve(
    base: Option<Context>,
    next: Option<SocketAddr>,
    probe: Arc<Probe>,
) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let next = match next {
        Some(a) => Some(connect(a).await),
        None => None,
    };
    let hop = Hop {
        next,
        probe,
        layered: base.is_some(),
    };
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    match base {
        Some(base) => {
            let router = Server::builder()
                .layer(ContextLayer::new(base))
                .add_service(hop);
            tokio::spawn(router.serve_with_incoming(incoming));
        }
        None => {
            let router = Server::builder().add_service(hop);
            tokio::spawn(router.serve_with_incoming(incoming));
        }
    }
    addr
}
