//! Serving the simulator on a socket. A hand-rolled accept loop rather than
//! `axum::serve`, for one reason: the "response lost" fault must close a connection
//! after the handler ran, and only the task that owns the connection can do that. Each
//! request carries a [`ConnectionKill`] for its connection.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use super::{Simulator, API_PREFIX};

/// A simulator serving on a socket. Dropping it stops the server and closes its
/// connections, so keep it alive as long as clients need it.
#[derive(Debug)]
pub struct RunningSimulator {
    simulator: Simulator,
    addr: SocketAddr,
    base_url: String,
    server: JoinHandle<()>,
}

impl RunningSimulator {
    /// `http://127.0.0.1:<port>/api/v1`: the OpenRouter base URL to give a client.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address actually bound (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The simulator being served, to inspect and steer it.
    pub fn simulator(&self) -> &Simulator {
        &self.simulator
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.server.abort();
    }
}

/// Lets a request's handling close the connection it arrived on, without answering.
#[derive(Clone, Default)]
pub(crate) struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    pub fn kill(&self) {
        // `notify_one` keeps a permit if the connection task is not waiting right now.
        self.0.notify_one();
    }
}

pub(crate) async fn spawn(
    simulator: Simulator,
    addr: SocketAddr,
) -> std::io::Result<RunningSimulator> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(accept_loop(listener, simulator.router()));
    Ok(RunningSimulator {
        base_url: format!("http://{addr}{API_PREFIX}"),
        simulator,
        addr,
        server,
    })
}

async fn accept_loop(listener: TcpListener, router: Router) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone()));
                }
                Err(error) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!(%error, "OpenRouter simulator: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router) {
    // Small JSON answers: do not let Nagle hold them back, latency is what we measure.
    let _ = stream.set_nodelay(true);
    let kill = ConnectionKill::default();
    let service = {
        let kill = kill.clone();
        hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(kill.clone());
            let router = router.clone();
            async move {
                let response: Result<Response, Infallible> = router.oneshot(request).await;
                response
            }
        })
    };
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "OpenRouter simulator: connection ended with an error");
            }
        }
        // Dropping the connection future closes the socket with no response written.
        () = kill.0.notified() => {}
    }
}
