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
    pub(crate) archive: PathBuf,
    pub(crate) index: LiveIndex,
    pub(crate) db: Arc<Db>,
    pub(crate) drift: f64,
}

/// The router: UI pages, replay, Memento.
pub fn router(archive: &Path, drift: f64) -> Result<Router, Error> {
    // Migrate once (the only write), so every later connection can be read-only.
    Store::open(archive)?;
    let app = Arc::new(App {
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
        .route("/search", get(pages::search))
        .route("/rot", get(pages::rot))
        .route("/style.css", get(pages::style))
        .route("/web/{*rest}", get(replay::web))
        .route("/timemap/link/{*rest}", get(replay::timemap))
        .fallback(not_found)
        .layer(axum::middleware::map_response(harden))
        .with_state(app))
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
    let router = router(&options.archive, options.drift)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Serve(format!("cannot start: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| Error::Serve(format!("cannot listen on {}: {e}", options.listen)))?;
        let addr = listener.local_addr().unwrap_or(options.listen);
        if addr.ip().is_loopback() {
            eprintln!("citekeep serve: http://{addr}/ (this machine only)");
        } else {
            eprintln!(
                "citekeep serve: http://{addr}/ -- warning: listening beyond this machine; \
                 anyone who can reach {} can read the archive",
                addr.ip()
            );
        }
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| Error::Serve(format!("stopped: {e}")))
    })
}
