//! Auth0's official Node SDK (`auth0@7.1.0`, pinned in `tests/sdk`) against
//! the real binary over HTTPS: the SDK only speaks `https://{domain}`, so the
//! server gets a certificate from a throwaway CA that Node trusts through
//! `NODE_EXTRA_CA_CERTS`.

use crate::harness::{self, BOOTSTRAP_ID, BOOTSTRAP_SECRET, Server, ServerOptions};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// PEM files for a test CA and a `localhost`/`127.0.0.1` certificate it signed.
struct TestPki {
    ca_cert: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
}

fn make_pki(dir: &Path) -> TestPki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Vestibule e2e test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().expect("ca key");
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = Issuer::new(ca_params, ca_key);

    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let key = KeyPair::generate().expect("server key");
    let cert = params.signed_by(&key, &issuer).expect("server cert");

    let pki = TestPki {
        ca_cert: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server-key.pem"),
    };
    std::fs::write(&pki.ca_cert, ca_cert.pem()).expect("write ca");
    std::fs::write(&pki.server_cert, cert.pem()).expect("write cert");
    std::fs::write(&pki.server_key, key.serialize_pem()).expect("write key");
    pki
}

/// `node` and `npm` answer `--version`, or the reason they don't.
pub(crate) fn node_toolchain() -> Result<String, String> {
    let mut versions = Vec::new();
    for tool in ["node", "npm"] {
        let output = Command::new(tool)
            .arg("--version")
            .output()
            .map_err(|e| format!("`{tool}` not found: {e}"))?;
        if !output.status.success() {
            return Err(format!("`{tool} --version` failed"));
        }
        versions.push(format!(
            "{tool} {}",
            String::from_utf8_lossy(&output.stdout).trim()
        ));
    }
    Ok(versions.join(", "))
}

/// The packages `tests/sdk/package.json` pins; `npm ci` runs again when
/// `node_modules` misses one (e.g. one left by an older checkout).
const NPM_PACKAGES: [&str; 5] = [
    "auth0",
    "jose",
    "oidc-provider",
    "openid-client",
    "playwright-core",
];

/// `tests/sdk` with its npm packages installed ([`ensure_npm_packages`] on
/// the blocking pool): where the Node scripts the tests run live.
pub(crate) async fn sdk_packages() -> PathBuf {
    let sdk_dir = harness::repo_root().join("tests/sdk");
    tokio::task::spawn_blocking({
        let sdk_dir = sdk_dir.clone();
        move || ensure_npm_packages(&sdk_dir)
    })
    .await
    .expect("npm install task");
    sdk_dir
}

/// `npm ci` in `tests/sdk` unless `node_modules` already holds the packages.
/// A lock file serialises concurrent test processes (a lock older than five
/// minutes is taken to be left over from a killed run).
fn ensure_npm_packages(sdk_dir: &Path) {
    let _lock = harness::InstallLock::acquire(&sdk_dir.join(".npm-install.lock"));
    if NPM_PACKAGES.iter().all(|name| {
        sdk_dir
            .join("node_modules")
            .join(name)
            .join("package.json")
            .is_file()
    }) {
        return;
    }
    let started = Instant::now();
    let output = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(sdk_dir)
        .output()
        .expect("run npm ci");
    assert!(
        output.status.success(),
        "npm ci failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "npm ci in {} took {:?}",
        sdk_dir.display(),
        started.elapsed()
    );
}

#[tokio::test]
async fn official_node_sdk_manages_clients_and_connections() {
    let versions = match node_toolchain() {
        Ok(versions) => versions,
        Err(reason) if harness::in_ci() => panic!("CI needs node and npm: {reason}"),
        Err(reason) => {
            eprintln!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 SKIP official_node_sdk_manages_clients_and_connections: {reason}\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            return;
        }
    };
    let sdk_dir = sdk_packages().await;

    let pki_dir = tempfile::tempdir().expect("tempdir");
    let pki = make_pki(pki_dir.path());
    let port = harness::free_port();
    let server = Server::start_with(ServerOptions {
        port: Some(port),
        public_url: Some(format!("https://localhost:{port}/")),
        tls: Some((pki.server_cert.clone(), pki.server_key.clone())),
        ..ServerOptions::default()
    });

    let started = Instant::now();
    let mut node = tokio::process::Command::new("node");
    node.arg(sdk_dir.join("management.mjs"))
        .current_dir(&sdk_dir)
        .env("VESTIBULE_DOMAIN", format!("localhost:{port}"))
        .env("CLIENT_ID", BOOTSTRAP_ID)
        .env("CLIENT_SECRET", BOOTSTRAP_SECRET)
        .env("NODE_EXTRA_CA_CERTS", &pki.ca_cert)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(120), node.output())
        .await
        .expect("node script timed out")
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "management.mjs failed ({}, {versions}):\n--- stdout\n{stdout}--- stderr\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("all SDK checks passed"),
        "unexpected output:\n{stdout}"
    );
    eprintln!(
        "SDK script ({versions}) passed in {:?}:\n{stdout}",
        started.elapsed()
    );

    let status = server.terminate();
    assert!(
        status.success(),
        "vestibule exited with {status} after SIGTERM"
    );
}
