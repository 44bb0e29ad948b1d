//! A guarding forward proxy on 127.0.0.1 for a client that fetches on its own: the capture
//! browser. Chromium is told to send every connection through it (loopback included), so
//! whatever opens one (the page, a popup, a worker, a service worker, a WebSocket) passes
//! the same address guard as crawling, whether or not the DevTools protocol sees it.
//!
//! `CONNECT host:port` (HTTPS and WebSockets) is judged on the addresses the name resolves
//! to and tunnelled to the one judged (or, behind an upstream proxy, which resolves names
//! itself, judged on a literal address and tunnelled through that proxy); a plain
//! `http://` request is judged and forwarded with a client whose resolver drops private
//! addresses, without following redirects (the browser follows them, and each hop comes
//! back here). Whatever is refused gets a 403 and is noted.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::guard::{Guard, is_private};

/// A request body read at most (a form post; larger ones are refused).
const MAX_REQUEST_BODY: usize = 8 << 20;

/// Connections served at once (more wait).
const MAX_CONNECTIONS: usize = 256;

type Body = BoxBody<Bytes, std::io::Error>;

/// The running proxy: its address, and what it refused. Stops when dropped.
pub struct GuardProxy {
    addr: SocketAddr,
    refused: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GuardProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GuardProxy {
    /// Starts a proxy on a free loopback port whose connections go where `guard` allows,
    /// through `upstream` (an `http://` proxy) when one is given.
    pub async fn start(
        guard: Arc<Guard>,
        upstream: Option<url::Url>,
        timeout: std::time::Duration,
    ) -> std::io::Result<GuardProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .gzip(false)
            .brotli(false)
            .deflate(false)
            .timeout(timeout)
            .dns_resolver(guard.resolver());
        client = match &upstream {
            Some(u) => {
                client.proxy(reqwest::Proxy::all(u.as_str()).map_err(std::io::Error::other)?)
            }
            None => client.no_proxy(),
        };
        let client = client.build().map_err(std::io::Error::other)?;
        let refused: Arc<Mutex<Vec<String>>> = Arc::default();
        let shared = Arc::new(Shared {
            guard,
            upstream,
            client,
            refused: refused.clone(),
        });
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        let task = tokio::spawn(async move {
            loop {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    return;
                };
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    let service = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, std::convert::Infallible>(shared.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        });
        Ok(GuardProxy {
            addr,
            refused,
            task,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it refused so far (URLs, or `host:port` for tunnels), emptied.
    pub fn take_refused(&self) -> Vec<String> {
        std::mem::take(&mut self.refused.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

struct Shared {
    guard: Arc<Guard>,
    upstream: Option<url::Url>,
    client: reqwest::Client,
    refused: Arc<Mutex<Vec<String>>>,
}

fn answer(status: StatusCode, text: &str) -> Response<Body> {
    let body = Full::new(Bytes::from(text.to_string()))
        .map_err(|never| match never {})
        .boxed();
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r
}

/// Headers that belong to one connection, never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

impl Shared {
    async fn handle(&self, req: Request<Incoming>) -> Response<Body> {
        if req.method() == Method::CONNECT {
            return self.connect(req).await;
        }
        let target = req.uri().to_string();
        let Ok(url) = url::Url::parse(&target) else {
            return answer(
                StatusCode::BAD_REQUEST,
                "an absolute http:// URL is expected",
            );
        };
        if url.scheme() != "http" {
            return answer(StatusCode::BAD_REQUEST, "only http:// is forwarded");
        }
        if self.guard.check(&url).is_err() {
            return self.refuse(target);
        }
        let (parts, body) = req.into_parts();
        let body = match http_body_util::Limited::new(body, MAX_REQUEST_BODY)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(_) => return answer(StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
        };
        let mut headers = reqwest::header::HeaderMap::new();
        for (k, v) in &parts.headers {
            if !HOP_BY_HOP.contains(&k.as_str()) {
                headers.append(k.clone(), v.clone());
            }
        }
        let sent = self
            .client
            .request(parts.method, url)
            .headers(headers)
            .body(body)
            .send()
            .await;
        let upstream = match sent {
            Ok(r) => r,
            Err(e) if is_refusal(&e) => return self.refuse(target),
            Err(e) => return answer(StatusCode::BAD_GATEWAY, &e.to_string()),
        };
        let mut response = Response::builder().status(upstream.status());
        for (k, v) in upstream.headers() {
            if !HOP_BY_HOP.contains(&k.as_str()) {
                response = response.header(k, v);
            }
        }
        let stream = upstream
            .bytes_stream()
            .map_ok(Frame::data)
            .map_err(std::io::Error::other);
        response
            .body(BodyExt::boxed(StreamBody::new(stream)))
            .unwrap_or_else(|e| answer(StatusCode::BAD_GATEWAY, &e.to_string()))
    }

    fn refuse(&self, what: String) -> Response<Body> {
        self.refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(what);
        answer(
            StatusCode::FORBIDDEN,
            "a loopback, private or link-local address: not requested",
        )
    }

    /// A tunnel to `host:port`, where the guard allows it.
    async fn connect(&self, req: Request<Incoming>) -> Response<Body> {
        let Some(authority) = req.uri().authority().cloned() else {
            return answer(StatusCode::BAD_REQUEST, "CONNECT needs host:port");
        };
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = authority.port_u16().unwrap_or(443);
        // Judged as the origin it names (the guard keys origins by host and port).
        let Ok(url) = url::Url::parse(&format!("https://{authority}/")) else {
            return answer(StatusCode::BAD_REQUEST, "CONNECT needs host:port");
        };
        if self.guard.check(&url).is_err() {
            return self.refuse(authority.to_string());
        }
        let stream = match &self.upstream {
            Some(proxy) => tunnel_through(proxy, authority.as_str()).await,
            None => match self.resolve(host, port, &url).await {
                Some(addrs) => TcpStream::connect(&addrs[..]).await,
                None => return self.refuse(authority.to_string()),
            },
        };
        let mut stream = match stream {
            Ok(s) => s,
            Err(e) => return answer(StatusCode::BAD_GATEWAY, &e.to_string()),
        };
        tokio::spawn(async move {
            if let Ok(upgraded) = hyper::upgrade::on(req).await {
                let mut client = TokioIo::new(upgraded);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut stream).await;
            }
        });
        answer(StatusCode::OK, "")
    }

    /// The addresses `host` may be reached at: all of them for an origin the sources
    /// name, else its public ones; `None` when it has none.
    async fn resolve(&self, host: &str, port: u16, url: &url::Url) -> Option<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await.ok()?.collect();
        let allowed: Vec<SocketAddr> = if self.guard.allows_private(url) {
            addrs
        } else {
            addrs.into_iter().filter(|a| !is_private(a.ip())).collect()
        };
        (!allowed.is_empty()).then_some(allowed)
    }
}

/// Whether a forwarding error is the guard's resolver refusing the name.
fn is_refusal(e: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if s.downcast_ref::<super::guard::Refused>().is_some() {
            return true;
        }
        source = s.source();
    }
    false
}

/// A TCP stream to `authority` through the HTTP proxy `proxy` (its own `CONNECT`).
async fn tunnel_through(proxy: &url::Url, authority: &str) -> std::io::Result<TcpStream> {
    let host = proxy.host_str().unwrap_or("127.0.0.1");
    let port = proxy.port_or_known_default().unwrap_or(80);
    let mut stream = TcpStream::connect((host, port)).await?;
    stream
        .write_all(format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n").as_bytes())
        .await?;
    // The proxy's answer head, byte by byte so nothing of the tunnel is read with it.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 << 10 {
            return Err(std::io::Error::other(
                "the upstream proxy's answer is too long",
            ));
        }
        head.push(stream.read_u8().await?);
    }
    let status = String::from_utf8_lossy(&head);
    let ok = status
        .split_whitespace()
        .nth(1)
        .is_some_and(|code| code == "200");
    if !ok {
        let line = status.lines().next().unwrap_or_default().to_string();
        return Err(std::io::Error::other(format!("upstream proxy: {line}")));
    }
    Ok(stream)
}
