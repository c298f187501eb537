//! Outbound HTTP execution: one fully rendered request in, one response (or a classified
//! error) out, with the safety rules of the specification applied: HTTPS only (loopback and
//! explicit opt-in excepted, redirects included), a redirect limit, a response size limit,
//! per-attempt timeouts, retries with exponential backoff and full jitter that honour
//! `Retry-After`, and one `Idempotency-Key` shared by every attempt of a call.
//!
//! Redirects are followed here rather than inside reqwest, so that every target is checked
//! against the HTTPS-only rule and a redirect to another origin carries no header that may
//! hold a secret (only `Accept*`, `Content-Type`, `Content-Language`, `User-Agent` and
//! `Idempotency-Key` go along).
//!
//! With [`HttpPolicy::block_private_networks`] (the server's default), no request reaches a
//! private, loopback or link-local address ([`is_private_address`]): host names are resolved
//! by a resolver that drops such addresses, so the address actually connected to is the one
//! checked (no second lookup an attacker's DNS could answer differently), and IP-literal hosts
//! are checked before sending. Both apply to every redirect target as well.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ipnet::{Ipv4Net, Ipv6Net};

use reqwest::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION,
    RETRY_AFTER,
};
use url::{Host, Url};

use crate::model::{HttpMethod, RetryPolicy};
use crate::trace::StepError;

/// The header every attempt of one call carries, so that a receiver can de-duplicate.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// Default response size limit: 10 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;

/// Default redirect limit.
pub const DEFAULT_MAX_REDIRECTS: usize = 10;

/// A fully rendered request, ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    /// HTTP method.
    pub method: HttpMethod,
    /// Full URL, query string included.
    pub url: Url,
    /// Headers in the order they are sent (repeated names allowed).
    pub headers: Vec<(String, String)>,
    /// Body bytes, if any.
    pub body: Option<Vec<u8>>,
}

impl OutboundRequest {
    /// A request without headers or body.
    pub fn new(method: HttpMethod, url: Url) -> Self {
        OutboundRequest {
            method,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    /// The first value of a header, compared case-insensitively by name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Replaces every header of this name (case-insensitive) by one with this value.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.into()));
    }
}

/// Adds an `Idempotency-Key` header (a fresh UUID v4) unless the request already has one,
/// and returns the key. [`HttpClient::send`] does this itself; call it first when the key
/// must show in a trace.
pub fn ensure_idempotency_key(req: &mut OutboundRequest) -> String {
    if let Some(existing) = req.header(IDEMPOTENCY_KEY_HEADER) {
        return existing.to_string();
    }
    let key = uuid::Uuid::new_v4().to_string();
    req.headers
        .push((IDEMPOTENCY_KEY_HEADER.to_string(), key.clone()));
    key
}

/// Limits applied to every request a client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPolicy {
    /// How many redirects are followed; 0 makes any redirect an error.
    pub max_redirects: usize,
    /// Largest response body accepted, in bytes (after decompression).
    pub max_response_bytes: usize,
    /// Allow `http://` URLs to any host, not only loopback ones.
    pub allow_insecure_http: bool,
    /// Refuse requests to private, loopback, link-local and other non-public addresses
    /// ([`is_private_address`]): the addresses a host name resolves to are checked (the
    /// connection only ever goes to a checked one), IP-literal hosts too, redirects included;
    /// a refused request fails with [`HttpErrorKind::BlockedAddress`]. Proxies from the
    /// environment are not used then, since a proxy would resolve the host itself.
    ///
    /// Off by default (the desktop app talks to local services on purpose); the server turns
    /// it on unless started with `--allow-private-network`.
    pub block_private_networks: bool,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            max_redirects: DEFAULT_MAX_REDIRECTS,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            allow_insecure_http: false,
            block_private_networks: false,
        }
    }
}

/// A response as received (after redirects and retries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code; may be an error status: routing on it happens later.
    pub status: u16,
    /// Response headers (lower-case names, values as lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// The whole body, decompressed, at most the policy's size limit.
    pub body: Vec<u8>,
    /// How many attempts were made (1 = no retry).
    pub attempts: u32,
    /// Wall time of the whole call, backoff delays included.
    pub elapsed: Duration,
}

impl HttpResponse {
    /// The first value of a response header, compared case-insensitively by name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no usable response; stable, readable by later steps as `${error.kind}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpErrorKind {
    /// The host name could not be resolved.
    Dns,
    /// Nothing listens on the target port.
    ConnectionRefused,
    /// No complete response within the timeout.
    Timeout,
    /// The TLS handshake or the TLS stream failed (certificate, protocol).
    Tls,
    /// The response body is larger than the limit.
    TooLarge,
    /// More redirects than allowed.
    Redirects,
    /// The URL (or a redirect target) is not allowed: not HTTPS.
    InsecureUrl,
    /// The host is, or resolves to, a private, loopback or link-local address and the policy
    /// blocks private networks ([`HttpPolicy::block_private_networks`]).
    BlockedAddress,
    /// Any other transport failure (connection reset, malformed response, bad header...).
    Network,
}

impl HttpErrorKind {
    /// The snake_case name used in traces (`connection_refused`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpErrorKind::Dns => "dns",
            HttpErrorKind::ConnectionRefused => "connection_refused",
            HttpErrorKind::Timeout => "timeout",
            HttpErrorKind::Tls => "tls",
            HttpErrorKind::TooLarge => "too_large",
            HttpErrorKind::Redirects => "redirects",
            HttpErrorKind::InsecureUrl => "insecure_url",
            HttpErrorKind::BlockedAddress => "blocked_address",
            HttpErrorKind::Network => "network",
        }
    }

    /// Whether another attempt may succeed (transient transport failures).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            HttpErrorKind::Dns
                | HttpErrorKind::ConnectionRefused
                | HttpErrorKind::Timeout
                | HttpErrorKind::Network
        )
    }
}

impl fmt::Display for HttpErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed call: its kind, a message in plain words (never a header value or a query
/// string) and how many attempts were made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HttpError {
    /// What went wrong.
    pub kind: HttpErrorKind,
    /// What happened, e.g. "connection refused by 127.0.0.1:9".
    pub message: String,
    /// How many attempts were made before giving up (0 when nothing was sent).
    pub attempts: u32,
}

impl HttpError {
    fn new(kind: HttpErrorKind, message: impl Into<String>) -> Self {
        HttpError {
            kind,
            message: message.into(),
            attempts: 0,
        }
    }
}

impl From<&HttpError> for StepError {
    fn from(e: &HttpError) -> Self {
        StepError {
            kind: e.kind.as_str().to_string(),
            message: e.message.clone(),
        }
    }
}

impl From<HttpError> for StepError {
    fn from(e: HttpError) -> Self {
        StepError::from(&e)
    }
}

/// Whether a host is a loopback one: `localhost`, 127.0.0.0/8 or `::1`.
fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.strip_suffix('.').unwrap_or(d);
            d.eq_ignore_ascii_case("localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

/// `scheme://host[:port]` of a URL: identifies it in messages without path or query
/// (which may carry an API key).
fn origin_of(url: &Url) -> String {
    match url.host_str() {
        Some(host) => match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        },
        None => format!("{}:", url.scheme()),
    }
}

/// Checks the HTTPS-only rule: `https://` always; `http://` only to a loopback host
/// (`localhost`, 127.0.0.0/8, `::1`) or when `allow_insecure`; any other scheme never.
pub fn check_url_allowed(url: &Url, allow_insecure: bool) -> Result<(), HttpError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure || is_loopback_host(url) => Ok(()),
        "http" => Err(HttpError::new(
            HttpErrorKind::InsecureUrl,
            format!(
                "{} is plain http: use an https:// URL, or allow insecure URLs \
                 (workspace setting on the desktop, server flag on the server)",
                origin_of(url)
            ),
        )),
        other => Err(HttpError::new(
            HttpErrorKind::InsecureUrl,
            format!("URL scheme `{other}` is not supported: use an https:// URL"),
        )),
    }
}

/// Addresses outside the ranges std classifies that are not public either: "this network"
/// (0.0.0.0/8), shared address space (100.64.0.0/10, carrier-grade NAT), IETF protocol
/// assignments (192.0.0.0/24), benchmarking (198.18.0.0/15) and reserved (240.0.0.0/4).
const NON_PUBLIC_V4: [Ipv4Net; 5] = [
    Ipv4Net::new_assert(Ipv4Addr::new(0, 0, 0, 0), 8),
    Ipv4Net::new_assert(Ipv4Addr::new(100, 64, 0, 0), 10),
    Ipv4Net::new_assert(Ipv4Addr::new(192, 0, 0, 0), 24),
    Ipv4Net::new_assert(Ipv4Addr::new(198, 18, 0, 0), 15),
    Ipv4Net::new_assert(Ipv4Addr::new(240, 0, 0, 0), 4),
];

/// IPv6 ranges std has no stable helper for: site-local (fec0::/10, deprecated but still
/// routed internally) and documentation (2001:db8::/32).
const NON_PUBLIC_V6: [Ipv6Net; 2] = [
    Ipv6Net::new_assert(Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10),
    Ipv6Net::new_assert(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
];

/// NAT64 well-known prefix (64:ff9b::/96): the last 32 bits are an IPv4 address.
const NAT64: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);

/// 6to4 (2002::/16): bits 16 to 47 are an IPv4 address.
const SIX_TO_FOUR: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16);

fn is_private_v4(ip: Ipv4Addr) -> bool {
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || NON_PUBLIC_V4.iter().any(|net| net.contains(&ip))
}

/// Whether an address is one a server must not reach on a user's behalf: private (10/8,
/// 172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16, fe80::/10),
/// unspecified, broadcast, multicast, shared (100.64/10), documentation, benchmarking and
/// reserved ranges. An IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`,
/// NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`) is judged by that IPv4 address.
pub fn is_private_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            let embedded = if let Some(v4) = v6.to_ipv4_mapped() {
                Some(v4)
            } else if NAT64.contains(&v6) {
                let [.., a, b, c, d] = v6.octets();
                Some(Ipv4Addr::new(a, b, c, d))
            } else if SIX_TO_FOUR.contains(&v6) {
                let [_, _, a, b, c, d, ..] = v6.octets();
                Some(Ipv4Addr::new(a, b, c, d))
            } else {
                None
            };
            match embedded {
                Some(v4) => is_private_v4(v4),
                None => {
                    v6.is_loopback()
                        || v6.is_unspecified()
                        || v6.is_multicast()
                        || v6.is_unique_local()
                        || v6.is_unicast_link_local()
                        || NON_PUBLIC_V6.iter().any(|net| net.contains(&v6))
                }
            }
        }
    }
}

/// The error of a request refused because `host` is (or resolves to) a private address.
fn blocked_address(host: &str, literal: bool) -> HttpError {
    let what = if literal {
        "is a private, loopback or link-local address"
    } else {
        "resolves only to private, loopback or link-local addresses"
    };
    HttpError::new(
        HttpErrorKind::BlockedAddress,
        format!(
            "{host} {what}, and requests to private networks are refused: \
             start the server with --allow-private-network to allow them"
        ),
    )
}

/// Checks a URL, the request's or a redirect target's, against `policy` before anything is
/// sent: the HTTPS-only rule ([`check_url_allowed`]) and, when private networks are blocked,
/// an IP-literal host. Host names are checked when they are resolved, by the client.
pub fn check_destination(url: &Url, policy: &HttpPolicy) -> Result<(), HttpError> {
    check_url_allowed(url, policy.allow_insecure_http)?;
    if policy.block_private_networks {
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(Host::Domain(_)) | None => None,
        };
        if let Some(ip) = ip.filter(|ip| is_private_address(*ip)) {
            return Err(blocked_address(
                &host_for_socket(url, &ip.to_string()),
                true,
            ));
        }
    }
    Ok(())
}

/// The redirect-target form of [`check_destination`]: the message says it was a redirect.
fn check_redirect_target(next: &Url, policy: &HttpPolicy) -> Result<(), HttpError> {
    check_destination(next, policy)
        .map_err(|e| HttpError::new(e.kind, format!("redirect refused: {}", e.message)))
}

/// Raised by [`PublicOnlyResolver`] when every address of a host is a private one.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to private addresses")]
struct PrivateOnly {
    host: String,
}

/// Resolves host names with the system resolver and keeps only public addresses, so that a
/// connection is only ever made to an address that was checked.
#[derive(Debug)]
struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if resolved.is_empty() {
                return Err(io::Error::new(io::ErrorKind::NotFound, "no address").into());
            }
            let public: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| !is_private_address(addr.ip()))
                .collect();
            if public.is_empty() {
                return Err(PrivateOnly { host }.into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

fn too_many_redirects(max: usize) -> HttpError {
    let message = match max {
        0 => "the server answered with a redirect and redirects are not followed (limit 0)"
            .to_string(),
        1 => "more than 1 redirect (the limit)".to_string(),
        n => format!("more than {n} redirects (the limit)"),
    };
    HttpError::new(HttpErrorKind::Redirects, message)
}

/// Request headers kept on a redirect to another origin; every other one (`Authorization`,
/// API-key headers, cookies, custom headers) may carry a secret and is dropped.
const CROSS_ORIGIN_SAFE_HEADERS: &[&str] = &[
    "accept",
    "accept-language",
    "content-language",
    "content-type",
    "idempotency-key",
    "user-agent",
];

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// An HTTP client with the safety rules applied; cheap to clone (one connection pool).
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: HttpPolicy,
}

impl HttpClient {
    /// Builds a client (rustls, gzip) that applies `policy`.
    pub fn new(policy: HttpPolicy) -> Result<Self, HttpError> {
        let mut builder = reqwest::Client::builder()
            // Redirects are followed by `send` itself, so that each target is checked and
            // secret-bearing headers never reach another origin.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hookboard/", env!("CARGO_PKG_VERSION")));
        if policy.block_private_networks {
            builder = builder
                .dns_resolver(Arc::new(PublicOnlyResolver))
                .no_proxy();
        }
        let client = builder.build().map_err(|e| {
            HttpError::new(
                HttpErrorKind::Tls,
                format!(
                    "could not set up the HTTP client: {}",
                    root_cause(&e.without_url())
                ),
            )
        })?;
        Ok(HttpClient { client, policy })
    }

    /// The limits this client applies.
    pub fn policy(&self) -> &HttpPolicy {
        &self.policy
    }

    /// Sends a request, retrying per `retry`; `timeout` bounds each attempt (connection,
    /// headers and body). A retryable status (429, 500, 502, 503, 504) left after the last
    /// attempt is returned as `Ok`, like any other status.
    pub async fn send(
        &self,
        req: &OutboundRequest,
        timeout: Duration,
        retry: &RetryPolicy,
    ) -> Result<HttpResponse, HttpError> {
        // Copied once; every attempt and redirect shares it.
        let body = req.body.clone().map(bytes::Bytes::from);
        self.send_body(req, body, timeout, retry).await
    }

    /// Sends `req` with `body` in place of its own body (which is not read): a body taken out
    /// of the request is sent without being copied.
    pub(crate) async fn send_body(
        &self,
        req: &OutboundRequest,
        body: Option<bytes::Bytes>,
        timeout: Duration,
        retry: &RetryPolicy,
    ) -> Result<HttpResponse, HttpError> {
        let started = Instant::now();
        check_destination(&req.url, &self.policy)?;
        let headers = build_headers(req)?;
        let method = to_reqwest_method(req.method);
        let max_attempts = retry.max_attempts.max(1);
        let method_retryable = req.method.is_idempotent() || retry.retry_non_idempotent;

        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let last = attempt >= max_attempts || !method_retryable;
            let outcome = self
                .attempt(req, method.clone(), headers.clone(), body.clone(), timeout)
                .await;
            match outcome {
                Ok(got) => {
                    if !last && is_retryable_status(got.status) {
                        let delay = retry_after(&got, retry)
                            .unwrap_or_else(|| backoff_delay(retry, attempt - 1));
                        tracing::debug!(
                            status = got.status,
                            attempt,
                            delay_ms = delay.as_millis() as u64,
                            "retrying after a retryable status"
                        );
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Ok(HttpResponse {
                        status: got.status,
                        headers: got.headers,
                        body: got.body,
                        attempts: attempt,
                        elapsed: started.elapsed(),
                    });
                }
                Err(mut e) => {
                    if !last && e.kind.is_retryable() {
                        let delay = backoff_delay(retry, attempt - 1);
                        tracing::debug!(
                            kind = e.kind.as_str(),
                            attempt,
                            delay_ms = delay.as_millis() as u64,
                            "retrying after a transport error"
                        );
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    e.attempts = attempt;
                    return Err(e);
                }
            }
        }
    }

    /// One attempt: send (following redirects), then read the body within the size limit,
    /// all within `timeout` (one timer for the whole attempt, redirects included).
    async fn attempt(
        &self,
        req: &OutboundRequest,
        method: reqwest::Method,
        headers: HeaderMap,
        body: Option<bytes::Bytes>,
        timeout: Duration,
    ) -> Result<Received, HttpError> {
        let work = async {
            let mut url = req.url.clone();
            let mut method = method;
            let mut headers = headers;
            let mut body = body;
            let mut redirects = 0usize;
            loop {
                let mut builder = self
                    .client
                    .request(method.clone(), url.clone())
                    .headers(headers.clone());
                if let Some(bytes) = &body {
                    builder = builder.body(bytes.clone());
                }
                let resp = builder
                    .send()
                    .await
                    .map_err(|e| classify(e, &url, timeout))?;
                let Some(next) = redirect_target(&resp, &url)? else {
                    return self.read(resp, &url, timeout).await;
                };
                redirects += 1;
                if redirects > self.policy.max_redirects {
                    return Err(too_many_redirects(self.policy.max_redirects));
                }
                check_redirect_target(&next, &self.policy)?;
                let status = resp.status().as_u16();
                // As browsers do: 303 turns anything but GET/HEAD into GET, 301/302 turn POST
                // into GET; 307/308 keep the method and the body.
                if (status == 303
                    && method != reqwest::Method::GET
                    && method != reqwest::Method::HEAD)
                    || (matches!(status, 301 | 302) && method == reqwest::Method::POST)
                {
                    method = reqwest::Method::GET;
                    body = None;
                    headers.remove(CONTENT_TYPE);
                    headers.remove(CONTENT_LENGTH);
                    headers.remove(CONTENT_ENCODING);
                }
                if !same_origin(&url, &next) {
                    let kept: HeaderMap = headers
                        .iter()
                        .filter(|(n, _)| CROSS_ORIGIN_SAFE_HEADERS.contains(&n.as_str()))
                        .map(|(n, v)| (n.clone(), v.clone()))
                        .collect();
                    headers = kept;
                }
                url = next;
            }
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(timeout_error(timeout)),
        }
    }

    /// Reads status, headers and the body, refusing a body over the size limit without
    /// buffering it.
    async fn read(
        &self,
        mut resp: reqwest::Response,
        url: &Url,
        timeout: Duration,
    ) -> Result<Received, HttpError> {
        let limit = self.policy.max_response_bytes;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        if let Some(len) = resp.content_length()
            && len > limit as u64
        {
            return Err(too_large(limit, Some(len)));
        }
        let capacity = resp.content_length().map_or(0, |l| (l as usize).min(limit));
        let mut body = Vec::with_capacity(capacity);
        while let Some(chunk) = resp.chunk().await.map_err(|e| classify(e, url, timeout))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large(limit, None));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Received {
            status,
            headers,
            body,
        })
    }
}

/// Where a redirect response points, resolved against the current URL; `None` when the
/// response is not a redirect to follow (not 301/302/303/307/308, or no `Location`).
fn redirect_target(resp: &reqwest::Response, current: &Url) -> Result<Option<Url>, HttpError> {
    if !matches!(resp.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some(location) = resp.headers().get(LOCATION) else {
        return Ok(None);
    };
    let host = current.host_str().unwrap_or("the server");
    let unreadable = || {
        HttpError::new(
            HttpErrorKind::Redirects,
            format!("{host} answered with a redirect whose Location is not a valid URL"),
        )
    };
    let location = location.to_str().map_err(|_| unreadable())?;
    current.join(location).map(Some).map_err(|_| unreadable())
}

/// What one attempt got.
struct Received {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn to_reqwest_method(m: HttpMethod) -> reqwest::Method {
    match m {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
        HttpMethod::Put => reqwest::Method::PUT,
        HttpMethod::Patch => reqwest::Method::PATCH,
        HttpMethod::Delete => reqwest::Method::DELETE,
    }
}

/// The request's headers plus the call's `Idempotency-Key`, checked once for all attempts.
fn build_headers(req: &OutboundRequest) -> Result<HeaderMap, HttpError> {
    let mut map = HeaderMap::with_capacity(req.headers.len() + 1);
    for (name, value) in &req.headers {
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            HttpError::new(
                HttpErrorKind::Network,
                format!("invalid header name `{}`", name.escape_debug()),
            )
        })?;
        let header_value = HeaderValue::from_str(value).map_err(|_| {
            HttpError::new(
                HttpErrorKind::Network,
                format!(
                    "invalid value for header `{}` (control characters or CR/LF are not allowed)",
                    name.escape_debug()
                ),
            )
        })?;
        map.append(header_name, header_value);
    }
    if req.header(IDEMPOTENCY_KEY_HEADER).is_none() {
        let key = uuid::Uuid::new_v4().to_string();
        if let Ok(value) = HeaderValue::from_str(&key) {
            map.insert(HeaderName::from_static("idempotency-key"), value);
        }
    }
    Ok(map)
}

fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// Full-jitter exponential backoff: random in `[0, min(max, initial * 2^retry)]`.
fn backoff_delay(retry: &RetryPolicy, retry_index: u32) -> Duration {
    let factor = 1u64.checked_shl(retry_index.min(63)).unwrap_or(u64::MAX);
    let cap = retry
        .initial_backoff_ms
        .saturating_mul(factor)
        .min(retry.max_backoff_ms);
    Duration::from_millis(fastrand::u64(0..=cap))
}

/// The `Retry-After` of a 429 or 503 (delta-seconds or HTTP-date), capped at the maximum
/// backoff; `None` when absent or unreadable.
fn retry_after(got: &Received, retry: &RetryPolicy) -> Option<Duration> {
    if got.status != 429 && got.status != 503 {
        return None;
    }
    let value = got
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(RETRY_AFTER.as_str()))
        .map(|(_, v)| v.trim())?;
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Some(wait.min(Duration::from_millis(retry.max_backoff_ms)))
}

fn timeout_error(timeout: Duration) -> HttpError {
    HttpError::new(
        HttpErrorKind::Timeout,
        format!("no response within {} ms", timeout.as_millis()),
    )
}

fn too_large(limit: usize, announced: Option<u64>) -> HttpError {
    let message = match announced {
        Some(len) => {
            format!("the response body ({len} bytes) is larger than the limit of {limit} bytes")
        }
        None => format!("the response body is larger than the limit of {limit} bytes"),
    };
    HttpError::new(HttpErrorKind::TooLarge, message)
}

/// The next error in a chain. `io::Error::source()` skips the error it wraps, so for an
/// `io::Error` the wrapped error itself comes next.
fn next_in_chain<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    if let Some(io_err) = e.downcast_ref::<io::Error>()
        && let Some(inner) = io_err.get_ref()
    {
        let inner: &(dyn StdError + 'static) = inner;
        return Some(inner);
    }
    e.source()
}

/// The deepest error of a chain, as text.
fn root_cause(e: &(dyn StdError + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = next_in_chain(cur) {
        cur = next;
    }
    cur.to_string()
}

/// Maps a reqwest error to a kind and a message naming the host (never the path or query).
fn classify(err: reqwest::Error, request_url: &Url, timeout: Duration) -> HttpError {
    let err = err.without_url();
    let url = request_url;
    let host = url.host_str().unwrap_or("the server").to_string();
    let port = url.port_or_known_default().unwrap_or(0);

    let top: &(dyn StdError + 'static) = &err;
    let mut cur = Some(top);
    let mut dns = false;
    let mut refused = false;
    let mut timed_out = false;
    while let Some(e) = cur {
        if let Some(blocked) = e.downcast_ref::<PrivateOnly>() {
            return blocked_address(&blocked.host, false);
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return HttpError::new(HttpErrorKind::Tls, format!("TLS with {host} failed: {tls}"));
        }
        if let Some(io_err) = e.downcast_ref::<io::Error>() {
            match io_err.kind() {
                io::ErrorKind::ConnectionRefused => refused = true,
                io::ErrorKind::TimedOut => timed_out = true,
                _ => {}
            }
        }
        if e.to_string() == "dns error" {
            dns = true;
        }
        cur = next_in_chain(e);
    }

    if refused {
        return HttpError::new(
            HttpErrorKind::ConnectionRefused,
            format!(
                "connection refused by {}:{port}",
                host_for_socket(url, &host)
            ),
        );
    }
    if dns {
        return HttpError::new(HttpErrorKind::Dns, format!("could not resolve host {host}"));
    }
    if err.is_timeout() || timed_out {
        return timeout_error(timeout);
    }
    if err.is_redirect() {
        return HttpError::new(
            HttpErrorKind::Redirects,
            format!("redirect from {host} failed: {}", root_cause(top)),
        );
    }
    let what = if err.is_body() || err.is_decode() {
        "reading the response body from"
    } else if err.is_connect() {
        "connecting to"
    } else {
        "the request to"
    };
    HttpError::new(
        HttpErrorKind::Network,
        format!("{what} {host} failed: {}", root_cause(top)),
    )
}

/// The host as written in `host:port` (IPv6 addresses keep their brackets).
fn host_for_socket(url: &Url, host: &str) -> String {
    match url.host() {
        Some(Host::Ipv6(ip)) => format!("[{}]", IpAddr::V6(ip)),
        _ => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn loopback_detection() {
        assert!(check_url_allowed(&url("http://localhost:8080/x"), false).is_ok());
        assert!(check_url_allowed(&url("http://127.1.2.3/x"), false).is_ok());
        assert!(check_url_allowed(&url("http://[::1]:9/"), false).is_ok());
        assert!(check_url_allowed(&url("http://10.0.0.1/"), false).is_err());
        assert!(check_url_allowed(&url("http://localhost.example.com/"), false).is_err());
        assert!(check_url_allowed(&url("ftp://example.com/"), true).is_err());
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn private_addresses_are_classified() {
        let private = [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "127.255.0.9",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.0.8",
            "192.0.2.10",
            "198.18.0.1",
            "198.51.100.1",
            "203.0.113.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
        ];
        for addr in private {
            assert!(is_private_address(ip(addr)), "{addr} should be private");
        }
        let public = [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.215.14",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ];
        for addr in public {
            assert!(!is_private_address(ip(addr)), "{addr} should be public");
        }
    }

    fn blocking() -> HttpPolicy {
        HttpPolicy {
            block_private_networks: true,
            allow_insecure_http: true,
            ..HttpPolicy::default()
        }
    }

    #[test]
    fn ip_literal_hosts_are_checked_before_sending() {
        for target in [
            "http://127.0.0.1:8080/x?api_key=hidden",
            "http://[::1]/",
            "http://[::ffff:7f00:1]/",
            "http://2130706433/",
            "http://0x7f.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00::5]:8443/",
        ] {
            let err = check_destination(&url(target), &blocking()).expect_err(target);
            assert_eq!(err.kind, HttpErrorKind::BlockedAddress, "{target}");
            assert!(
                err.message.contains("--allow-private-network") && !err.message.contains("hidden"),
                "{target}: {}",
                err.message
            );
        }
        let err = check_destination(&url("http://10.0.0.7:9000/"), &blocking()).expect_err("10/8");
        assert_eq!(
            err.message,
            "10.0.0.7 is a private, loopback or link-local address, and requests to private \
             networks are refused: start the server with --allow-private-network to allow them"
        );
        // Public literals pass; names are checked when the client resolves them.
        assert!(check_destination(&url("https://93.184.215.14/"), &blocking()).is_ok());
        assert!(check_destination(&url("https://internal.example/"), &blocking()).is_ok());
        // Off (the desktop's default), local services are reachable.
        assert!(check_destination(&url("http://127.0.0.1:8080/"), &HttpPolicy::default()).is_ok());
        // The HTTPS rule still applies first.
        let plain = HttpPolicy {
            allow_insecure_http: false,
            ..blocking()
        };
        let err = check_destination(&url("http://8.8.8.8/"), &plain).expect_err("plain http");
        assert_eq!(err.kind, HttpErrorKind::InsecureUrl);
    }

    #[test]
    fn redirect_targets_are_checked_like_the_first_url() {
        let err =
            check_redirect_target(&url("http://169.254.169.254/latest/meta-data"), &blocking())
                .expect_err("metadata address");
        assert_eq!(err.kind, HttpErrorKind::BlockedAddress);
        assert!(
            err.message
                .starts_with("redirect refused: 169.254.169.254 is a private"),
            "{}",
            err.message
        );
        let err = check_redirect_target(&url("http://[::ffff:a00:1]/"), &blocking())
            .expect_err("mapped 10.0.0.1");
        assert!(err.message.contains("[::ffff:10.0.0.1]"), "{}", err.message);
        assert!(check_redirect_target(&url("https://8.8.8.8/"), &blocking()).is_ok());
        assert!(
            check_redirect_target(&url("http://169.254.169.254/"), &HttpPolicy::default())
                .is_err_and(|e| e.kind == HttpErrorKind::InsecureUrl),
            "without blocking, the HTTPS rule alone applies"
        );
    }

    #[tokio::test]
    async fn the_resolver_keeps_no_private_address() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().expect("a host name");
        let err = match PublicOnlyResolver.resolve(name).await {
            Ok(addrs) => panic!("localhost resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        assert!(err.downcast_ref::<PrivateOnly>().is_some(), "{err}");
    }

    #[test]
    fn backoff_stays_within_bounds() {
        let retry = RetryPolicy {
            max_attempts: 10,
            initial_backoff_ms: 100,
            max_backoff_ms: 1000,
            retry_non_idempotent: false,
        };
        for n in 0..80 {
            let d = backoff_delay(&retry, n);
            let cap = (100u64 << n.min(20)).min(1000);
            assert!(d <= Duration::from_millis(cap), "{n}: {d:?}");
        }
    }

    #[test]
    fn retry_after_forms() {
        let retry = RetryPolicy {
            max_attempts: 3,
            initial_backoff_ms: 10,
            max_backoff_ms: 5_000,
            retry_non_idempotent: false,
        };
        let got = |status: u16, v: &str| Received {
            status,
            headers: vec![("retry-after".into(), v.into())],
            body: Vec::new(),
        };
        assert_eq!(
            retry_after(&got(429, "2"), &retry),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_after(&got(503, "120"), &retry),
            Some(Duration::from_millis(5_000))
        );
        assert_eq!(retry_after(&got(500, "2"), &retry), None);
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
        let d = retry_after(&got(429, &future), &retry).unwrap_or_default();
        assert!(
            d > Duration::from_secs(1) && d <= Duration::from_secs(3),
            "{d:?}"
        );
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(30));
        assert_eq!(retry_after(&got(429, &past), &retry), Some(Duration::ZERO));
        assert_eq!(retry_after(&got(429, "soon"), &retry), None);
    }
}
