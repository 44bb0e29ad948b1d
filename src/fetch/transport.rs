//! What went wrong below HTTP, by kind: read from the error's types (I/O error kinds,
//! hyper's and h2's errors, the guard's refusal) and, for the few failures that have no
//! type of their own (DNS, TLS, a proxy's tunnel), from the words of the inner errors only,
//! never from reqwest's own message, which carries the URL (a URL with "tls" in it was
//! once taken for a TLS failure).

use std::error::Error as StdError;

use super::guard::Refused;

/// The kind of a failure to get an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No answer in time.
    Timeout,
    /// The name did not resolve.
    Dns,
    /// The host refused the connection.
    Refused,
    /// The connection was reset or closed early, or an HTTP/2 stream was reset or the
    /// connection sent away (GOAWAY): worth another attempt.
    Reset,
    /// The TLS handshake or a certificate failed.
    Tls,
    /// The proxy could not connect to the host.
    Proxy,
    /// The address guard refused the address (see [`super::guard`]).
    Private,
    /// Anything else.
    Other,
}

impl Kind {
    /// Whether another attempt may fare better.
    pub fn is_transient(self) -> bool {
        matches!(self, Kind::Timeout | Kind::Reset)
    }
}

/// A failure to get an answer: its kind and what happened, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transport {
    /// What kind of failure.
    pub kind: Kind,
    /// What happened, for people.
    pub detail: String,
}

/// Reads a reqwest error by kind.
pub fn classify(e: &reqwest::Error) -> Transport {
    let t = |kind, detail: String| Transport { kind, detail };
    if e.is_timeout() {
        return t(Kind::Timeout, "no answer in time".into());
    }
    let mut words = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<Refused>() {
            return t(Kind::Private, refused.to_string());
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::ConnectionRefused => return t(Kind::Refused, "connection refused".into()),
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                    return t(Kind::Reset, "connection reset".into());
                }
                K::TimedOut => return t(Kind::Timeout, "no answer in time".into()),
                _ => {}
            }
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_closed() || h.is_canceled())
        {
            return t(Kind::Reset, "connection reset".into());
        }
        if let Some(h2) = s.downcast_ref::<h2::Error>()
            && (h2.is_go_away() || h2.is_reset() || h2.is_io())
        {
            let what = if h2.is_go_away() {
                "HTTP/2 connection sent away (GOAWAY)"
            } else {
                "HTTP/2 stream reset"
            };
            return t(Kind::Reset, format!("{what}: {h2}"));
        }
        words.push_str(&s.to_string().to_ascii_lowercase());
        words.push_str(": ");
        source = s.source();
    }
    let cause = root_cause(e);
    if words.contains("dns error") || words.contains("failed to lookup address") {
        t(Kind::Dns, "DNS lookup failed".into())
    } else if words.contains("tunnel") || words.contains("proxy") {
        t(
            Kind::Proxy,
            "the proxy could not connect to the host".into(),
        )
    } else if words.contains("certificate")
        || words.contains("handshake")
        || words.contains("tls")
        || words.contains("invalid peer")
    {
        t(Kind::Tls, format!("TLS failure: {cause}"))
    } else if e.is_body() || e.is_decode() {
        t(
            Kind::Reset,
            format!("connection broken while reading the body ({cause})"),
        )
    } else {
        t(Kind::Other, format!("connection failed: {cause}"))
    }
}

/// The innermost error's words.
pub fn root_cause(e: &(dyn StdError + 'static)) -> String {
    let mut last: &dyn StdError = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}
