//! The simulated web: one local server on 127.0.0.1 that plays every host the tests need.
//!
//! citekeep reaches it the way users reach a corporate network, through an HTTP proxy: plain
//! `http://` requests arrive in absolute form, `https://` ones as `CONNECT host:443`, after
//! which the server speaks TLS with a certificate for that host signed by a test CA (trusted
//! through `SSL_CERT_FILE`). Each (host, path) gets a [`Behave`] from the test's routing
//! function; every request is logged with its time, and the most requests in flight to each
//! host at once are counted, so tests assert on what the server saw.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, ServerConfig};

/// What a (host, path) does when requested.
#[derive(Clone, Debug)]
pub enum Behave {
    /// Answer with a status, headers and a body.
    Page(u16, Vec<(&'static str, String)>, String),
    /// Answer with a status, headers and a body of bytes.
    Raw(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Answer 200 with these headers and a body sent in chunks (`Transfer-Encoding: chunked`).
    Chunked(Vec<(&'static str, String)>, Vec<Vec<u8>>),
    /// Redirect with a status to a location.
    Redirect(u16, String),
    /// Wait, then behave.
    Slow(Duration, Box<Behave>),
    /// Never answer.
    Hang,
    /// Close the connection without an answer.
    Reset,
    /// The host does not exist: the proxy cannot resolve it.
    NoSuchHost,
    /// 405 to HEAD; GET behaves as the inner behaviour.
    NoHead(Box<Behave>),
    /// 200 HTML sent one byte at a time, this far apart.
    Trickle(Duration, String),
    /// 200 HTML whose body never ends.
    Endless,
    /// 200 with this many extra headers.
    ManyHeaders(usize),
    /// 200 HTML with a header value of bytes that are not text.
    BadHeaderBytes,
    /// 200 HTML whose connection is cut halfway through the body.
    CutOff,
}

impl Behave {
    /// 200 with an HTML page of that title and text.
    pub fn html(title: &str, text: &str) -> Behave {
        Behave::Page(
            200,
            vec![("content-type", "text/html; charset=utf-8".into())],
            format!(
                "<!doctype html><html><head><title>{title}</title></head><body><main><p>{text}</p></main></body></html>"
            ),
        )
    }

    /// A status with an HTML body and extra headers.
    pub fn status(code: u16, headers: &[(&'static str, &str)], body: &str) -> Behave {
        let mut h: Vec<(&'static str, String)> = vec![("content-type", "text/html".into())];
        h.extend(headers.iter().map(|(k, v)| (*k, v.to_string())));
        Behave::Page(code, h, body.to_string())
    }
}

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    /// GET, HEAD, CONNECT...
    pub method: String,
    /// The host asked for.
    pub host: String,
    /// Path and query.
    pub path: String,
    /// When it arrived.
    pub at: Instant,
    /// Its User-Agent header.
    pub user_agent: String,
    /// Its `Authorization` header, if any.
    pub authorization: String,
    /// Its `Cookie` header, if any.
    pub cookie: String,
}

type Route = dyn Fn(&Asked) -> Behave + Send + Sync;

/// A request as a route sees it.
#[derive(Clone, Debug)]
pub struct Asked {
    /// GET, HEAD, POST...
    pub method: String,
    /// The host asked for.
    pub host: String,
    /// Path and query.
    pub path: String,
    /// Requests for the same host and path before this one.
    pub earlier: usize,
    /// The body (read for POST requests, at most 1 MB).
    pub body: String,
    /// The `Authorization` header, if any.
    pub authorization: String,
}

struct State {
    route: Box<Route>,
    seen: Mutex<Vec<Seen>>,
    in_flight: Mutex<HashMap<String, (usize, usize)>>,
    total_in_flight: Mutex<(usize, usize)>,
    tls: Mutex<HashMap<String, Arc<ServerConfig>>>,
    ca: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
    leaf_key: rcgen::KeyPair,
}

/// A running simulated web; stops when dropped.
pub struct SimWeb {
    /// `http://127.0.0.1:PORT`, to use as HTTP_PROXY and HTTPS_PROXY.
    pub proxy: String,
    /// A PEM file with the test CA, to use as SSL_CERT_FILE.
    pub ca_file: PathBuf,
    state: Arc<State>,
    runtime: Option<tokio::runtime::Runtime>,
    _dir: tempfile::TempDir,
}

impl SimWeb {
    /// Starts a server whose answers come from `route(host, path_and_query, earlier_requests)`.
    pub fn start(route: impl Fn(&str, &str, usize) -> Behave + Send + Sync + 'static) -> SimWeb {
        SimWeb::start_with(move |a: &Asked| route(&a.host, &a.path, a.earlier))
    }

    /// Starts a server whose answers come from `route(request)`, for routes that read the
    /// method, body or credentials.
    pub fn start_with(route: impl Fn(&Asked) -> Behave + Send + Sync + 'static) -> SimWeb {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "citekeep simulated web CA");
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        let state = Arc::new(State {
            route: Box::new(route),
            seen: Mutex::new(Vec::new()),
            in_flight: Mutex::new(HashMap::new()),
            total_in_flight: Mutex::new((0, 0)),
            tls: Mutex::new(HashMap::new()),
            ca,
            leaf_key: rcgen::KeyPair::generate().unwrap(),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let accept_state = state.clone();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = accept_state.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| proxy_request(state.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .with_upgrades()
                        .await;
                });
            }
        });
        SimWeb {
            proxy: format!("http://{addr}"),
            ca_file,
            state,
            runtime: Some(runtime),
            _dir: dir,
        }
    }

    /// `127.0.0.1:PORT`: the server as a plain HTTP origin (host `127.0.0.1`), for tests that
    /// reach it directly rather than through the proxy.
    pub fn addr(&self) -> String {
        self.proxy.trim_start_matches("http://").to_string()
    }

    /// Every request seen so far (CONNECTs included).
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Requests (not CONNECTs) seen for `host` and `path`.
    pub fn requests(&self, host: &str, path: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method != "CONNECT" && s.host == host && s.path == path)
            .collect()
    }

    /// The most requests that were in flight to `host` at once.
    pub fn max_in_flight(&self, host: &str) -> usize {
        self.state
            .in_flight
            .lock()
            .unwrap()
            .get(host)
            .map_or(0, |&(_, max)| max)
    }

    /// The most requests that were in flight at once over all hosts.
    pub fn max_total_in_flight(&self) -> usize {
        self.state.total_in_flight.lock().unwrap().1
    }

    /// Environment for a citekeep process that should reach this web.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HTTP_PROXY", self.proxy.clone()),
            ("HTTPS_PROXY", self.proxy.clone()),
            ("http_proxy", self.proxy.clone()),
            ("https_proxy", self.proxy.clone()),
            ("NO_PROXY", String::new()),
            ("no_proxy", String::new()),
            ("SSL_CERT_FILE", self.ca_file.display().to_string()),
        ]
    }
}

impl Drop for SimWeb {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

type Body = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;
type Answer = Result<Response<Body>, std::io::Error>;

fn full(bytes: impl Into<Bytes>) -> Body {
    use http_body_util::BodyExt;
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// The proxy side: CONNECT opens a TLS tunnel to the simulated host; anything else is an
/// absolute-form request for a plain-HTTP host, or an origin-form one for us as a host.
async fn proxy_request(state: Arc<State>, req: Request<Incoming>) -> Answer {
    if req.method() == Method::CONNECT {
        let host = req.uri().host().unwrap_or_default().to_string();
        log(&state, "CONNECT", &host, "", "");
        let probe = Asked {
            method: "CONNECT".into(),
            host: host.clone(),
            path: "/".into(),
            earlier: 0,
            body: String::new(),
            authorization: String::new(),
        };
        if matches!((state.route)(&probe), Behave::NoSuchHost) {
            return Ok(plain(
                502,
                &[("proxy-status", "simweb; error=dns_error")],
                "",
            ));
        }
        let tls = tls_for(&state, &host);
        let tunnel_state = state.clone();
        tokio::spawn(async move {
            let Ok(upgraded) = hyper::upgrade::on(req).await else {
                return;
            };
            let Ok(stream) = TlsAcceptor::from(tls).accept(TokioIo::new(upgraded)).await else {
                return;
            };
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            let svc =
                service_fn(move |req| origin_request(tunnel_state.clone(), host.clone(), req));
            if h2 {
                // `h2.*` hosts speak HTTP/2: a `Reset` there is a stream reset (RST_STREAM).
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
            } else {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            }
        });
        return Ok(Response::new(full(Bytes::new())));
    }
    // An origin-form request came straight to us, not through the proxy: the Host header
    // (without its port) names the host.
    let host = match req.uri().host() {
        Some(h) => h.to_string(),
        None => req
            .headers()
            .get("host")
            .and_then(|h| h.to_str().ok())
            .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name).to_string())
            .unwrap_or_default(),
    };
    origin_request(state, host, req).await
}

/// The origin side: the route decides.
async fn origin_request(state: Arc<State>, host: String, req: Request<Incoming>) -> Answer {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/".to_string(), |p| p.as_str().to_string());
    let earlier = state
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.method != "CONNECT" && s.host == host && s.path == path)
        .count();
    let agent = req
        .headers()
        .get("user-agent")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let authorization = req
        .headers()
        .get("authorization")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let cookie = req
        .headers()
        .get("cookie")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    log(&state, req.method().as_str(), &host, &path, &agent);
    if let Some(last) = state.seen.lock().unwrap().last_mut() {
        last.authorization = authorization.clone();
        last.cookie = cookie;
    }
    let _flight = Flight::new(&state, &host);
    let method = req.method().clone();
    let (parts, incoming) = req.into_parts();
    let req = Request::from_parts(parts, ());
    let body = if method == Method::POST {
        use http_body_util::BodyExt;
        match http_body_util::Limited::new(incoming, 1 << 20)
            .collect()
            .await
        {
            Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
            Err(_) => String::new(),
        }
    } else {
        String::new()
    };
    let asked = Asked {
        method: method.to_string(),
        host: host.clone(),
        path: path.clone(),
        earlier,
        body,
        authorization,
    };
    let mut behave = (state.route)(&asked);
    loop {
        return match behave {
            Behave::Slow(wait, then) => {
                tokio::time::sleep(wait).await;
                behave = *then;
                continue;
            }
            Behave::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Err(std::io::Error::other("hung"))
            }
            Behave::Reset => Err(std::io::Error::other("reset")),
            Behave::NoHead(_) if req.method() == Method::HEAD => {
                Ok(plain(405, &[("allow", "GET")], ""))
            }
            Behave::NoHead(then) => {
                behave = *then;
                continue;
            }
            Behave::NoSuchHost => Ok(plain(
                502,
                &[("proxy-status", "simweb; error=dns_error")],
                "",
            )),
            Behave::Redirect(code, location) => Ok(plain(code, &[("location", &location)], "")),
            Behave::Raw(code, headers, body) => {
                let body = if req.method() == Method::HEAD {
                    Vec::new()
                } else {
                    body
                };
                let mut r = Response::builder().status(code);
                for (k, v) in &headers {
                    r = r.header(*k, v.as_str());
                }
                Ok(r.body(full(body)).unwrap())
            }
            Behave::Chunked(headers, chunks) => {
                use http_body_util::BodyExt;
                let mut r = Response::builder().status(200);
                for (k, v) in &headers {
                    r = r.header(*k, v.as_str());
                }
                let frames = chunks
                    .into_iter()
                    .map(|c| Ok::<_, std::io::Error>(hyper::body::Frame::data(Bytes::from(c))));
                let body =
                    http_body_util::StreamBody::new(futures_util::stream::iter(frames)).boxed();
                Ok(r.body(body).unwrap())
            }
            Behave::Trickle(gap, body) => {
                let bytes: Vec<u8> = body.into_bytes();
                let frames = futures_util::stream::unfold(0usize, move |i| {
                    let next = bytes.get(i).copied();
                    async move {
                        let b = next?;
                        tokio::time::sleep(gap).await;
                        Some((
                            Ok::<_, std::io::Error>(hyper::body::Frame::data(Bytes::from(vec![b]))),
                            i + 1,
                        ))
                    }
                });
                Ok(streamed_html(frames))
            }
            Behave::Endless => {
                let chunk = Bytes::from(b"<p>more and more</p>\n".repeat(4096));
                let frames = futures_util::stream::repeat_with(move || {
                    Ok::<_, std::io::Error>(hyper::body::Frame::data(chunk.clone()))
                });
                Ok(streamed_html(frames))
            }
            Behave::CutOff => {
                use http_body_util::BodyExt;
                let frames = futures_util::stream::iter(vec![
                    Ok(hyper::body::Frame::data(Bytes::from_static(
                        b"<html><head><title>Half</title></head><body><p>The first half",
                    ))),
                    Err(std::io::Error::other("cut off")),
                ]);
                let body = http_body_util::StreamBody::new(frames).boxed();
                Ok(Response::builder()
                    .status(200)
                    .header("content-type", "text/html")
                    .header("content-length", "100000")
                    .body(body)
                    .unwrap())
            }
            Behave::ManyHeaders(n) => {
                let mut r = Response::builder()
                    .status(200)
                    .header("content-type", "text/html");
                for i in 0..n {
                    r = r.header(format!("x-filler-{i}"), "x");
                }
                Ok(r.body(full("<title>many headers</title>")).unwrap())
            }
            Behave::BadHeaderBytes => Ok(Response::builder()
                .status(200)
                .header("content-type", "text/html")
                .header(
                    "x-weird",
                    hyper::header::HeaderValue::from_bytes(b"caf\xe9 \xff\xfe").unwrap(),
                )
                .body(full("<title>Weird header</title><main>Text</main>"))
                .unwrap()),
            Behave::Page(code, headers, body) => {
                let body = if req.method() == Method::HEAD {
                    String::new()
                } else {
                    body
                };
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                Ok(plain(code, &headers, &body))
            }
        };
    }
}

/// A 200 HTML answer whose body comes from `frames` as they are ready.
fn streamed_html(
    frames: impl futures_util::Stream<Item = Result<hyper::body::Frame<Bytes>, std::io::Error>>
    + Send
    + Sync
    + 'static,
) -> Response<Body> {
    use http_body_util::BodyExt;
    Response::builder()
        .status(200)
        .header("content-type", "text/html")
        .body(http_body_util::StreamBody::new(frames).boxed())
        .unwrap()
}

fn plain(code: u16, headers: &[(&str, &str)], body: &str) -> Response<Body> {
    let mut r = Response::builder().status(code);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(full(body.to_string())).unwrap()
}

fn log(state: &State, method: &str, host: &str, path: &str, user_agent: &str) {
    state.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        host: host.to_string(),
        path: path.to_string(),
        at: Instant::now(),
        user_agent: user_agent.to_string(),
        authorization: String::new(),
        cookie: String::new(),
    });
}

/// Counts a request in flight to a host while it lives.
struct Flight<'a> {
    state: &'a State,
    host: String,
}

impl<'a> Flight<'a> {
    fn new(state: &'a State, host: &str) -> Flight<'a> {
        let mut map = state.in_flight.lock().unwrap();
        let entry = map.entry(host.to_string()).or_insert((0, 0));
        entry.0 += 1;
        entry.1 = entry.1.max(entry.0);
        let mut total = state.total_in_flight.lock().unwrap();
        total.0 += 1;
        total.1 = total.1.max(total.0);
        Flight {
            state,
            host: host.to_string(),
        }
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        if let Some(entry) = self.state.in_flight.lock().unwrap().get_mut(&self.host) {
            entry.0 -= 1;
        }
        self.state.total_in_flight.lock().unwrap().0 -= 1;
    }
}

/// A TLS configuration with a certificate for `host`, signed by the test CA.
fn tls_for(state: &State, host: &str) -> Arc<ServerConfig> {
    let mut cache = state.tls.lock().unwrap();
    cache
        .entry(host.to_string())
        .or_insert_with(|| {
            // `wrong-name.*` hosts present a certificate for another name; `expired.*` ones
            // a certificate that ran out last year.
            let name = if host.starts_with("wrong-name.") {
                "somebody-else.example".to_string()
            } else {
                host.to_string()
            };
            let mut params = rcgen::CertificateParams::new(vec![name]).unwrap();
            if host.starts_with("expired.") {
                params.not_before = rcgen::date_time_ymd(2020, 1, 1);
                params.not_after = rcgen::date_time_ymd(2021, 1, 1);
            }
            let cert = params.signed_by(&state.leaf_key, &state.ca).unwrap();
            let key =
                rustls::pki_types::PrivateKeyDer::try_from(state.leaf_key.serialize_der()).unwrap();
            let config = ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .unwrap();
            let mut config = config;
            if host.starts_with("h2.") {
                config.alpn_protocols = vec![b"h2".to_vec()];
            }
            Arc::new(config)
        })
        .clone()
}
