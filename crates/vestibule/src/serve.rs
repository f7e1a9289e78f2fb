//! `vestibule serve`: provision the default tenant, then serve HTTP(S) until
//! SIGTERM or Ctrl-C, finishing requests in flight.

use crate::cli::ServeArgs;
use anyhow::{Context, Result};
use engine::tenancy::tenants::{
    BootstrapCredentials, TenantSpec, ensure_bootstrap_client, ensure_tenant,
};
use std::time::Duration;

pub async fn run(args: ServeArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let trusted_proxies =
        http_api::client_ip::TrustedProxies::parse(args.trusted_proxies.as_deref().unwrap_or(""))
            .map_err(|error| anyhow::anyhow!("VESTIBULE_TRUSTED_PROXIES: {error}"))?;
    let engine = crate::config::open_engine(&args.store).await?;
    let scheme = if args.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{}/", args.listen));
    let spec = TenantSpec {
        id: engine.tenants.default_tenant_id().clone(),
        friendly_name: "Default tenant".into(),
        issuer: public_url,
        hosts: Vec::new(),
    };
    // Keys are generated once the server is ready (see
    // `KeyRing::hold_background_work`); anything that needs one waits.
    engine.keys.hold_background_work();
    let tenant = ensure_tenant(&engine, &spec)
        .await
        .context("provisioning the default tenant")?;
    let wanted = match (&args.bootstrap_client_id, &args.bootstrap_client_secret) {
        (Some(client_id), Some(client_secret)) => Some(BootstrapCredentials {
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
        }),
        _ => None,
    };
    let created = ensure_bootstrap_client(&engine, &tenant, wanted.as_ref())
        .await
        .context("creating the bootstrap Management API client")?;
    if let (Some(credentials), None) = (&created, &wanted) {
        // Printed once, on the first start: the only time the secret is shown.
        println!("Management API client for tenant {}:", tenant.id);
        println!("  client_id:     {}", credentials.client_id);
        println!("  client_secret: {}", credentials.client_secret);
        println!("  audience:      {}", tenant.management_audience());
        println!("Keep the secret; it is not shown again.");
    }
    let app = http_api::router(engine.clone(), http_api::HttpOptions { trusted_proxies })
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let listener = std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("binding {}", args.listen))?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    tracing::info!(
        %address,
        issuer = %tenant.issuer,
        backend = engine.storage.backend_name(),
        ready_in_ms = started.elapsed().as_millis() as u64,
        "vestibule is ready"
    );
    engine.keys.release_background_work();
    spawn_garbage_collection(engine.clone());
    engine::jobs::runner::spawn_sweeper(engine.clone());
    tokio::spawn(engine::email::outbox::run_worker(engine.clone()));
    let handle = axum_server::Handle::new();
    tokio::spawn({
        let handle = handle.clone();
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            handle.graceful_shutdown(Some(Duration::from_secs(20)));
        }
    });
    match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .context("loading the TLS certificate and key")?;
            axum_server::from_tcp_rustls(listener, config)?
                .handle(handle)
                .serve(app)
                .await?;
        }
        _ => {
            axum_server::from_tcp(listener)?
                .handle(handle)
                .serve(app)
                .await?;
        }
    }
    engine.storage.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Removes expired codes, transactions, sessions and tokens every few
/// minutes. Every node may run it: it only deletes what has expired.
fn spawn_garbage_collection(engine: engine::Engine) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(300));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match engine.storage.garbage_collect(engine.now()).await {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(removed, "removed expired records"),
                Err(error) => tracing::warn!(%error, "garbage collection failed"),
            }
        }
    });
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
