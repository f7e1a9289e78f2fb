//! A real SMTP server on loopback for the email tests: it speaks enough of
//! RFC 5321 (EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, QUIT) for
//! lettre, refuses mail until the client authenticated with the expected
//! credentials (so the tests prove the provider's credentials are sent),
//! and keeps every accepted message for the test to read.

use base64::Engine as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One accepted message.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) rcpt: Vec<String>,
    pub(crate) raw: String,
}

impl Received {
    /// A top-level header's value.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        let head = self
            .raw
            .split("\r\n\r\n")
            .next()?
            .replace("\r\n ", " ")
            .replace("\r\n\t", " ");
        let prefix = format!("{}:", name.to_ascii_lowercase());
        head.split("\r\n")
            .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
    }

    /// The decoded parts of a multipart message: (content type, body).
    pub(crate) fn parts(&self) -> Vec<(String, String)> {
        let Some(content_type) = self.header("content-type") else {
            return Vec::new();
        };
        let Some(boundary) = content_type
            .split("boundary=")
            .nth(1)
            .map(|b| b.trim_matches('"').to_owned())
        else {
            return Vec::new();
        };
        self.raw
            .split(&format!("--{boundary}"))
            .skip(1)
            .filter_map(|part| {
                let (head, body) = part.split_once("\r\n\r\n")?;
                let header = |name: &str| {
                    head.split("\r\n")
                        .find(|l| l.to_ascii_lowercase().starts_with(name))
                        .map(|l| l[name.len()..].trim().to_ascii_lowercase())
                };
                let kind = header("content-type:")?;
                let body = match header("content-transfer-encoding:").as_deref() {
                    Some("quoted-printable") => quoted_printable(body),
                    Some("base64") => {
                        let joined: String = body.split_whitespace().collect();
                        String::from_utf8(
                            base64::engine::general_purpose::STANDARD
                                .decode(joined)
                                .unwrap_or_default(),
                        )
                        .unwrap_or_default()
                    }
                    _ => body.to_owned(),
                };
                Some((kind, body))
            })
            .collect()
    }

    pub(crate) fn part(&self, kind: &str) -> String {
        self.parts()
            .into_iter()
            .find(|(k, _)| k.starts_with(kind))
            .map(|(_, body)| body)
            .unwrap_or_else(|| panic!("no {kind} part in:\n{}", self.raw))
    }

    /// The first link in the text part that starts with `prefix`.
    pub(crate) fn link(&self, prefix: &str) -> String {
        let text = self.part("text/plain");
        let start = text
            .find(prefix)
            .unwrap_or_else(|| panic!("no link {prefix} in:\n{text}"));
        text[start..]
            .split(|c: char| c.is_whitespace() || c == ')')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len() + 1
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The sink: its port, the credentials it wants, what it received.
#[derive(Clone)]
pub(crate) struct SmtpSink {
    pub(crate) port: u16,
    messages: Arc<Mutex<Vec<Received>>>,
    /// Failed AUTH attempts seen (wrong credentials).
    auth_failures: Arc<Mutex<u32>>,
}

pub(crate) const SMTP_USER: &str = "mailer";
pub(crate) const SMTP_PASS: &str = "s3cret-smtp-pass";

impl SmtpSink {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let sink = Self {
            port,
            messages: Arc::default(),
            auth_failures: Arc::default(),
        };
        let shared = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = shared.session(stream).await;
                });
            }
        });
        sink
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink.test ESMTP\r\n").await?;
        let mut authed = false;
        let mut rcpt = Vec::new();
        let mut line = String::new();
        let b64 = base64::engine::general_purpose::STANDARD;
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let upper = command.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-sink.test\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if upper.starts_with("HELO") {
                b"250 sink.test\r\n"
            } else if upper.starts_with("AUTH PLAIN") {
                let mut payload = command.get(11..).unwrap_or("").trim().to_owned();
                if payload.is_empty() {
                    write.write_all(b"334 \r\n").await?;
                    line.clear();
                    lines.read_line(&mut line).await?;
                    payload = line.trim().to_owned();
                }
                let decoded = b64.decode(payload).unwrap_or_default();
                let fields: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
                authed = fields.len() == 3
                    && fields[1] == SMTP_USER.as_bytes()
                    && fields[2] == SMTP_PASS.as_bytes();
                self.auth_reply(authed)
            } else if upper.starts_with("AUTH LOGIN") {
                write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
                line.clear();
                lines.read_line(&mut line).await?;
                let user = b64.decode(line.trim()).unwrap_or_default();
                write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
                line.clear();
                lines.read_line(&mut line).await?;
                let pass = b64.decode(line.trim()).unwrap_or_default();
                authed = user == SMTP_USER.as_bytes() && pass == SMTP_PASS.as_bytes();
                self.auth_reply(authed)
            } else if upper.starts_with("MAIL FROM") {
                rcpt.clear();
                if authed {
                    b"250 ok\r\n"
                } else {
                    b"530 5.7.0 Authentication required\r\n"
                }
            } else if upper.starts_with("RCPT TO") {
                rcpt.push(command[8..].trim().to_owned());
                b"250 ok\r\n"
            } else if upper == "DATA" {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut raw = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    raw.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                self.messages.lock().expect("lock").push(Received {
                    rcpt: std::mem::take(&mut rcpt),
                    raw,
                });
                b"250 queued\r\n"
            } else if upper == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else if upper == "RSET" || upper == "NOOP" {
                b"250 ok\r\n"
            } else {
                b"502 not implemented\r\n"
            };
            write.write_all(reply).await?;
        }
    }

    fn auth_reply(&self, ok: bool) -> &'static [u8] {
        if ok {
            b"235 2.7.0 Authentication successful\r\n"
        } else {
            *self.auth_failures.lock().expect("lock") += 1;
            b"535 5.7.8 Authentication credentials invalid\r\n"
        }
    }

    pub(crate) fn auth_failures(&self) -> u32 {
        *self.auth_failures.lock().expect("lock")
    }

    pub(crate) fn count(&self) -> usize {
        self.messages.lock().expect("lock").len()
    }

    /// Waits until a message to `to` whose subject contains `subject` arrives.
    pub(crate) async fn wait_for(&self, to: &str, subject: &str) -> Received {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(found) = self
                .messages
                .lock()
                .expect("lock")
                .iter()
                .rev()
                .find(|m| {
                    m.rcpt.iter().any(|r| r.contains(to))
                        && m.header("subject").is_some_and(|s| s.contains(subject))
                })
                .cloned()
            {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no email {subject:?} to {to} within 20 s; got {:?}",
                self.messages
                    .lock()
                    .expect("lock")
                    .iter()
                    .map(|m| m.header("subject"))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
