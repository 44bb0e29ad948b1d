//! `citekeep serve`: the archive browser, an axum application over the archive folder.
//!
//! Read-only: pages query the history database through read-only connections (WAL lets a
//! `run` write meanwhile) and replay reads WARC records by the in-memory index, reloaded when
//! a run rewrites `index.cdxj`. Replay never fetches from the live web.
//!
//! Isolation: archived content is only ever served with a `sandbox` Content-Security-Policy
//! (an opaque origin, no script) and shown inside a sandboxed iframe, and the rewritten copy
//! has its scripts and handlers removed, so an archived page cannot touch the browser UI's
//! origin, its cookies or its DOM.

mod index;
mod memento;
mod pages;
mod replay;
pub mod rewrite;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::Error;
use crate::store::Store;

pub use index::{Capture, Index, LiveIndex, parse_timestamp};

/// What the server needs.
pub struct Options {
    /// The archive folder.
    pub archive: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Below this share of remaining first text, a page has drifted (the rot overview).
    pub drift: f64,
    /// The address people reach the server at when it is not the one it listens on
    /// (`[serve] public_url`, behind a reverse proxy): its host is accepted, and absolute
    /// links are made under it.
    pub public_url: Option<url::Url>,
}

/// Connections served at once; more wait to be accepted (each holds a file descriptor).
const MAX_CONNECTIONS: usize = 512;

/// A connection whose next request's headers are not all in within this time is closed
/// (idle keep-alive connections too), so slow or idle clients cannot hold the server.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Connections one client address may hold at once (a browser opens six or so): one
/// address cannot take every place. This machine's own `127.0.0.1` and `::1` are not
/// held to it: a reverse proxy on this machine speaks for all its clients from there.
const MAX_PER_CLIENT: usize = 64;

/// A connection whose answer makes no progress for this long (a client that stopped
/// reading) is closed.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// A connection that is closed when a write makes no progress for [`WRITE_TIMEOUT`].
struct Timed<S> {
    inner: S,
    stalled: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Timed<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> Timed<S> {
    /// Runs one write step; a step that stays pending past the timeout fails.
    fn step<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        poll: impl FnOnce(
            std::pin::Pin<&mut S>,
            &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::future::Future;
        match poll(std::pin::Pin::new(&mut self.inner), cx) {
            std::task::Poll::Ready(r) => {
                self.stalled = None;
                std::task::Poll::Ready(r)
            }
            std::task::Poll::Pending => {
                let timer = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(WRITE_TIMEOUT)));
                match timer.as_mut().poll(cx) {
                    std::task::Poll::Ready(()) => std::task::Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client stopped reading",
                    ))),
                    std::task::Poll::Pending => std::task::Poll::Pending,
                }
            }
        }
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Timed<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.step(cx, |s, cx| s.poll_write(cx, buf))
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.step(cx, |s, cx| s.poll_flush(cx))
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.step(cx, |s, cx| s.poll_shutdown(cx))
    }
}

/// Connections held by each client address.
#[derive(Default)]
struct PerClient(std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>);

/// One client's place, given back when its connection ends.
struct ClientPlace(Arc<PerClient>, std::net::IpAddr);

impl PerClient {
    /// A place for a connection from `ip`, unless it holds [`MAX_PER_CLIENT`] already.
    fn take(self: &Arc<Self>, ip: std::net::IpAddr) -> Option<ClientPlace> {
        let local_proxy = ip == std::net::IpAddr::from([127, 0, 0, 1])
            || ip == std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST);
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = held.entry(ip).or_default();
        if *count >= MAX_PER_CLIENT && !local_proxy {
            return None;
        }
        *count += 1;
        Some(ClientPlace(self.clone(), ip))
    }
}

impl Drop for ClientPlace {
    fn drop(&mut self) {
        let mut held = (self.0).0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = held.get_mut(&self.1) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.1);
            }
        }
    }
}

/// Read-only connections to the history, reused across requests.
pub(crate) struct Db {
    dir: PathBuf,
    idle: Mutex<Vec<Store>>,
}

impl Db {
    /// Runs `f` with a connection on the blocking pool.
    pub(crate) async fn with<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Store) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let store = match db.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
                Some(s) => s,
                None => Store::open_read_only(&db.dir)?,
            };
            let result = f(&store);
            db.idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(store);
            result
        })
        .await
        .map_err(|e| Error::Store(format!("a query failed: {e}")))?
    }
}

/// The shared state of every request.
pub(crate) struct App {
    /// `http://host:port` the server is reached at: absolute links are made under it,
    /// never under a request's own `Host`.
    pub(crate) base: String,
    pub(crate) archive: PathBuf,
    pub(crate) index: LiveIndex,
    pub(crate) db: Arc<Db>,
    pub(crate) drift: f64,
}

/// The router: UI pages, replay, Memento; `base` is the server's own address
/// (`http://host:port`) and `hosts` the names besides addresses and `localhost` that a
/// request's `Host` may give.
pub fn router(
    archive: &Path,
    drift: f64,
    base: String,
    hosts: Vec<String>,
) -> Result<Router, Error> {
    // Migrate once (the only write), so every later connection can be read-only.
    Store::open(archive)?;
    let hosts = Arc::new(hosts);
    let app = Arc::new(App {
        base,
        archive: archive.to_path_buf(),
        index: LiveIndex::new(archive),
        db: Arc::new(Db {
            dir: archive.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        }),
        drift,
    });
    Ok(Router::new()
        .route("/", get(pages::home))
        .route("/source", get(pages::source))
        .route("/link/{id}", get(pages::link))
        .route("/link", get(pages::link_by_url))
        .route("/search", get(pages::search))
        .route("/rot", get(pages::rot))
        .route("/style.css", get(pages::style))
        .route("/web/{*rest}", get(replay::web))
        .route("/timemap/link/{*rest}", get(replay::timemap))
        .fallback(not_found)
        .layer(axum::middleware::map_response(harden))
        .layer(axum::middleware::from_fn(move |req, next| {
            check_host(hosts.clone(), req, next)
        }))
        .with_state(app))
}

/// Answers 421 to a request whose `Host` is not this server: an address, `localhost`, or
/// a configured public name. A web page elsewhere cannot then rebind its own name to this
/// machine's address and read the archive (captures made with credentials included).
async fn check_host(
    hosts: Arc<Vec<String>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if host_is_ours(host, &hosts) {
        return next.run(req).await;
    }
    pages::error(
        axum::http::StatusCode::MISDIRECTED_REQUEST,
        "Not this server",
        "This archive browser answers only to its own address. Reaching it by another \
         name? Set [serve] public_url.",
    )
    .into_response()
}

/// Whether `host` (a `Host` header: name or address, and a port) names this server.
fn host_is_ours(host: &str, names: &[String]) -> bool {
    let name = match host.strip_prefix('[') {
        // [v6]:port
        Some(rest) => {
            return rest
                .split(']')
                .next()
                .is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok());
        }
        None => host.rsplit_once(':').map_or(host, |(n, _)| n),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.parse::<std::net::Ipv4Addr>().is_ok()
        || name == "localhost"
        || names.iter().any(|n| n.eq_ignore_ascii_case(&name))
}

/// Headers every answer carries: no sniffing, no referrer to the live web, and (unless the
/// answer set its own, stricter one) a policy with no script at all for UI pages.
async fn harden(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; \
                 img-src 'self' data:; frame-src 'self'; frame-ancestors 'self'; form-action 'self'",
            ),
        );
    }
    response
}

async fn not_found() -> Response {
    pages::error(
        axum::http::StatusCode::NOT_FOUND,
        "Not found",
        "There is no page here.",
    )
    .into_response()
}

/// Serves the archive browser until interrupted.
pub fn serve(options: Options) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Serve(format!("cannot start: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| Error::Serve(format!("cannot listen on {}: {e}", options.listen)))?;
        let addr = listener.local_addr().unwrap_or(options.listen);
        let (base, hosts) = match &options.public_url {
            Some(public) => (
                public.as_str().trim_end_matches('/').to_string(),
                public.host_str().map(str::to_string).into_iter().collect(),
            ),
            None if addr.ip().is_unspecified() => {
                (format!("http://localhost:{}", addr.port()), Vec::new())
            }
            None => (format!("http://{addr}"), Vec::new()),
        };
        let router = router(&options.archive, options.drift, base, hosts)?;
        if addr.ip().is_loopback() {
            eprintln!("citekeep serve: http://{addr}/ (this machine only)");
        } else {
            eprintln!(
                "citekeep serve: http://{addr}/ -- warning: listening beyond this machine; \
                 anyone who can reach {} can read the archive",
                addr.ip()
            );
        }
        let shutdown = tokio::signal::ctrl_c();
        tokio::pin!(shutdown);
        let places = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        let per_client = Arc::new(PerClient::default());
        loop {
            // A place first: when all are taken, new connections wait in the listen queue
            // (idle ones free theirs within HEADER_TIMEOUT) instead of being refused.
            let place = tokio::select! {
                _ = &mut shutdown => return Ok(()),
                place = places.clone().acquire_owned() => place,
            };
            let Ok(place) = place else { return Ok(()) };
            let accepted = tokio::select! {
                _ = &mut shutdown => return Ok(()),
                accepted = listener.accept() => accepted,
            };
            // Out of file descriptors, say: wait a moment rather than spin.
            let Ok((stream, peer)) = accepted else {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            // One address holding its share already: this connection is closed at once.
            let Some(client_place) = per_client.take(peer.ip()) else {
                continue;
            };
            let service = hyper_util::service::TowerToHyperService::new(router.clone());
            tokio::spawn(async move {
                let _place = (place, client_place);
                let mut http = hyper::server::conn::http1::Builder::new();
                http.timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT);
                let io = hyper_util::rt::TokioIo::new(Timed {
                    inner: stream,
                    stalled: None,
                });
                let _ = http.serve_connection(io, service).await;
            });
        }
    })
}
