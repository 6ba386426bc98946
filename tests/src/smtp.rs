//! A real SMTP server (mailin-embedded) on a local port, keeping what it receives, that
//! a test can make refuse mail or answer slowly.

use std::collections::HashMap;
use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use mailin_embedded::{Handler, Response, Server, SslConfig, response};

/// One message as the server took it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent, headers and body.
    pub raw: String,
}

#[derive(Default)]
struct Shared {
    inbox: Mutex<Vec<Received>>,
    /// Messages taken but not kept (see `SmtpServer::discarding`).
    discarded: AtomicU64,
    discard: AtomicBool,
    refuse: AtomicBool,
    delay_ms: AtomicU64,
}

#[derive(Clone)]
struct Session {
    shared: Arc<Shared>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Session {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_string();
        response::OK
    }

    fn rcpt(&mut self, _to: &str) -> Response {
        // Refused at RCPT rather than after the data: mailin-embedded keeps a session in
        // its DATA state after a refused end of data, so the client's next command
        // (QUIT) would go unanswered until it timed out.
        if self.shared.refuse.load(Ordering::SeqCst) {
            return response::NO_MAILBOX;
        }
        response::OK
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let delay = self.shared.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay));
        }
        // Taken once the whole message is in: a client that dies now has still sent it.
        if self.shared.discard.load(Ordering::SeqCst) {
            self.shared.discarded.fetch_add(1, Ordering::SeqCst);
            return response::OK;
        }
        self.shared.inbox.lock().unwrap().push(Received {
            from: self.from.clone(),
            to: self.to.clone(),
            raw: String::from_utf8_lossy(&self.data).into_owned(),
        });
        response::OK
    }
}

/// A running SMTP server; it runs until the test process ends.
pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
}

impl SmtpServer {
    /// A server on a free port.
    pub fn start() -> Self {
        Self::on(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    /// A server on `port`, e.g. one a test reserved and left closed for a while.
    pub fn start_on(port: u16) -> Self {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match TcpListener::bind(("127.0.0.1", port)) {
                Ok(listener) => return Self::on(listener),
                Err(e) if Instant::now() > deadline => panic!("cannot listen on {port}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// A port nothing listens on (yet).
    pub fn unused_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    fn on(listener: TcpListener) -> Self {
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let handler = Session {
            shared: shared.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = Server::new(handler);
        server
            .with_name("smtp.test")
            .with_num_threads(8)
            .with_ssl(SslConfig::None)
            .unwrap()
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { port, shared }
    }

    /// For `BEACON_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Take messages without keeping them, only counting them (for the benchmark, which
    /// sends hundreds of thousands).
    pub fn discarding(self) -> Self {
        self.shared.discard.store(true, Ordering::SeqCst);
        self
    }

    /// Messages taken in all, kept or not.
    pub fn taken(&self) -> u64 {
        let kept = self.shared.inbox.lock().unwrap().len() as u64;
        self.shared.discarded.load(Ordering::SeqCst) + kept
    }

    /// Refuse every recipient (550) from now on, or stop refusing.
    pub fn refuse(&self, refuse: bool) {
        self.shared.refuse.store(refuse, Ordering::SeqCst);
    }

    /// Take this long to accept each message.
    pub fn slow(&self, delay: Duration) {
        self.shared
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn messages(&self) -> Vec<Received> {
        self.shared.inbox.lock().unwrap().clone()
    }

    /// Waits until at least `count` messages are in, and returns them all; panics after
    /// `timeout` saying how many came.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} messages within {timeout:?}, got {}",
                messages.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A received message, read: headers, and the decoded plain and HTML parts.
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: HashMap<String, String>,
    pub text: String,
    pub html: String,
    pub content_type: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// Splits headers (unfolded, names lower-cased) from the body.
fn split(raw: &str) -> (HashMap<String, String>, String) {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut headers = HashMap::new();
    let mut current: Option<(String, String)> = None;
    for line in head.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, value)) = current.as_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = current.take() {
            headers.insert(name, value);
        }
        if let Some((name, value)) = line.split_once(':') {
            current = Some((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    if let Some((name, value)) = current {
        headers.insert(name, value);
    }
    (headers, body.to_string())
}

fn decode(encoding: &str, body: &str) -> String {
    match encoding.to_ascii_lowercase().as_str() {
        "base64" => {
            let compact: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap(),
            )
            .unwrap()
        }
        "quoted-printable" => {
            let mut out = Vec::new();
            let bytes = body.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
                    b'=' if i + 2 < bytes.len() => {
                        let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                        out.push(u8::from_str_radix(hex, 16).unwrap());
                        i += 3;
                    }
                    b => {
                        out.push(b);
                        i += 1;
                    }
                }
            }
            String::from_utf8(out).unwrap()
        }
        _ => body.to_string(),
    }
}

/// Reads a multipart/alternative message as lettre writes it.
pub fn read(raw: &str) -> Mail {
    let (headers, body) = split(raw);
    let content_type = headers.get("content-type").cloned().unwrap_or_default();
    let mut mail = Mail {
        headers,
        text: String::new(),
        html: String::new(),
        content_type: content_type.clone(),
    };
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"').to_string());
    let Some(boundary) = boundary else {
        return mail;
    };
    for part in body.split(&format!("--{boundary}")) {
        let (part_headers, part_body) = split(part.trim_start_matches('\n'));
        let kind = part_headers
            .get("content-type")
            .cloned()
            .unwrap_or_default();
        let encoding = part_headers
            .get("content-transfer-encoding")
            .cloned()
            .unwrap_or_default();
        let decoded = decode(&encoding, part_body.trim_end_matches('\n'));
        if kind.starts_with("text/plain") {
            mail.text = decoded;
        } else if kind.starts_with("text/html") {
            mail.html = decoded;
        }
    }
    mail
}
