//! Starts and stops `vestibule serve` processes for tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BOOTSTRAP_ID: &str = "test-bootstrap-client";
pub const BOOTSTRAP_SECRET: &str = "test-bootstrap-secret-0123456789";
pub const MASTER_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// How to start a server.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// `VESTIBULE_DATABASE_URL`; SQLite in the data directory when None.
    pub database_url: Option<String>,
    /// Reuse a data directory (e.g. to restart on the same SQLite file).
    pub data_dir: Option<PathBuf>,
    /// `--public-url`; defaults to `http(s)://127.0.0.1:{port}/`.
    pub public_url: Option<String>,
    /// PEM files for in-process TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Listen on this loopback port (e.g. one already named in `public_url`);
    /// a free one when None.
    pub port: Option<u16>,
}

/// A running `vestibule serve`; killed when dropped.
pub struct Server {
    pub port: u16,
    pub base: String,
    /// `http` or `https` (in-process TLS).
    pub scheme: &'static str,
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    child: Child,
}

impl Server {
    pub fn start() -> Self {
        Self::start_with(ServerOptions::default())
    }

    /// Starts a server and waits until it accepts connections.
    pub fn start_with(options: ServerOptions) -> Self {
        let mut server = Self::spawn(options);
        server.wait_ready();
        server
    }

    /// Starts a server without waiting: call [`Server::wait_ready`] before
    /// using it. Lets a test start several processes at the same moment.
    pub fn spawn(options: ServerOptions) -> Self {
        let (temp, data_dir) = match &options.data_dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let temp = tempfile::tempdir().expect("tempdir");
                let dir = temp.path().to_path_buf();
                (Some(temp), dir)
            }
        };
        let port = options.port.unwrap_or_else(free_port);
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let base = options
            .public_url
            .clone()
            .unwrap_or_else(|| format!("{scheme}://127.0.0.1:{port}/"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_vestibule"));
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("VESTIBULE_LISTEN", format!("127.0.0.1:{port}"))
            .env("VESTIBULE_DATA_DIR", &data_dir)
            .env("VESTIBULE_PUBLIC_URL", &base)
            .env("VESTIBULE_MASTER_KEY", MASTER_KEY)
            .env("VESTIBULE_BOOTSTRAP_CLIENT_ID", BOOTSTRAP_ID)
            .env("VESTIBULE_BOOTSTRAP_CLIENT_SECRET", BOOTSTRAP_SECRET)
            .env("VESTIBULE_LOG", "warn")
            // Cheap password hashing for tests (production defaults are OWASP's).
            .env("VESTIBULE_PASSWORD_HASH_MEMORY_KIB", "256")
            .env("VESTIBULE_PASSWORD_HASH_ITERATIONS", "1")
            // The tests' upstream providers run on loopback, which production refuses.
            .env("VESTIBULE_ALLOW_PRIVATE_UPSTREAMS", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(url) = &options.database_url {
            command.env("VESTIBULE_DATABASE_URL", url);
        }
        if let Some((cert, key)) = &options.tls {
            command
                .env("VESTIBULE_TLS_CERT", cert)
                .env("VESTIBULE_TLS_KEY", key);
        }
        for (name, value) in &options.env {
            command.env(name, value);
        }
        let child = command.spawn().expect("start vestibule");
        Server {
            port,
            base,
            scheme,
            data_dir,
            _temp: temp,
            child,
        }
    }

    /// `http(s)://127.0.0.1:{port}` — where to send requests, whatever the issuer.
    pub fn addr(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr(), path)
    }

    /// The issuer, e.g. `http://127.0.0.1:1234/`.
    pub fn issuer(&self) -> &str {
        &self.base
    }

    pub fn management_audience(&self) -> String {
        format!("{}api/v2/", self.base)
    }

    /// Waits until the port accepts TCP connections (enough for HTTP and
    /// HTTPS alike: the server binds only after provisioning); panics if the
    /// process exits first or nothing listens within 30 s.
    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let address = format!("127.0.0.1:{}", self.port);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(&address).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().expect("wait") {
                panic!("vestibule exited before listening on {address}: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("vestibule did not start listening on {address}");
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "vestibule did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP client that never follows redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A Management API token for the bootstrap client.
pub async fn management_token(server: &Server) -> String {
    token_for(
        server,
        BOOTSTRAP_ID,
        BOOTSTRAP_SECRET,
        &server.management_audience(),
        None,
    )
    .await
}

/// `client_credentials` with `client_secret_post`; panics unless it succeeds.
pub async fn token_for(
    server: &Server,
    client_id: &str,
    secret: &str,
    audience: &str,
    scope: Option<&str>,
) -> String {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("audience", audience),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let response = http()
        .post(server.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .expect("token request");
    let status = response.status();
    let body: serde_json::Value = response.json().await.expect("token json");
    assert_eq!(status, 200, "token request failed: {body}");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// The repository root (for `tests/sdk` and friends).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("root")
}

/// True when running in CI, where nothing the suite needs may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A lock file that serialises installs (npm, pip) across test processes;
/// removed when dropped. A lock older than five minutes is taken to be left
/// over from a killed run.
pub struct InstallLock(PathBuf);

impl InstallLock {
    pub fn acquire(path: &Path) -> Self {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(_) => return Self(path.to_path_buf()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(path)
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t.elapsed().unwrap_or_default() > Duration::from_secs(300));
                    if stale {
                        let _ = std::fs::remove_file(path);
                    }
                    assert!(
                        Instant::now() < deadline,
                        "waited too long for {}",
                        path.display()
                    );
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => panic!("creating {}: {e}", path.display()),
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
