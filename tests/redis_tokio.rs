//! The `tokio` and `tls` features: `RedisBackend::connect(url)` and
//! [`TokioConnector`] against real `redis-server` processes (plain and TLS,
//! with certificates made by the `openssl` command), and against listeners
//! that accept and then say nothing (connect and reply timeouts). Needs
//! `/usr/bin/redis-server` and `openssl` (`bash scripts/setup.sh`).
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/redis_server.rs"]
#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use edgecache::net::{TlsConfig, TokioConnector};
use edgecache::time::ManualClock;
use edgecache::{conformance, CacheBackend, RedisBackend, RedisBackendBuilder};
use support::{free_port, RedisServer};

fn url(server: &RedisServer, auth: &str) -> String {
    format!("redis://{auth}127.0.0.1:{}", server.port)
}

#[tokio::test]
async fn connects_in_one_line_and_passes_the_conformance_suite() {
    let server = RedisServer::start_with(&["--requirepass", "top secret"]);
    // The one line, with percent-encoded credentials (the default user).
    let cache = RedisBackend::connect(&url(&server, "default:top%20secret@"))
        .await
        .unwrap();
    cache.set("k", b"v".to_vec(), None).await.unwrap();
    assert_eq!(cache.get("k").await.unwrap(), Some(b"v".to_vec()));
    cache.delete("k").await.unwrap();

    let clock = ManualClock::new(1_700_000_000_000);
    let store = RedisBackendBuilder::from_url(&url(&server, ":top%20secret@"))
        .unwrap()
        .clock(clock.clone())
        .build()
        .unwrap();
    conformance::run(
        |ns| match ns {
            Some(ns) => store.with_namespace(ns),
            None => Ok(store.clone()),
        },
        &clock,
    )
    .await
    .unwrap();
    assert_eq!(server.raw(&[b"top secret"]).dbsize(), 0);
}

#[tokio::test]
async fn connect_reports_refused_credentials_and_urls() {
    let server = RedisServer::start_with(&["--requirepass", "pw"]);
    let err = RedisBackend::connect(&url(&server, ":wrong@"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_AUTH", "{err}");
    let err = RedisBackend::connect(&url(&server, "")).await.unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_AUTH", "{err}");

    // Database numbers other than 0 are refused before any I/O, as in JS.
    let err = RedisBackend::connect(&format!("{}/3", url(&server, ":pw@")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
    assert_eq!(
        err.to_string(),
        "invalid options: connect: database selection is not supported (use namespaces), got \"/3\""
    );
    assert!(
        RedisBackend::connect(&format!("{}/0", url(&server, ":pw@")))
            .await
            .is_ok()
    );
    let err = RedisBackend::connect("redis://u@127.0.0.1:1")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
    assert!(
        err.to_string()
            .contains("a Redis username needs a password"),
        "{err}"
    );
}

#[tokio::test]
async fn a_server_that_is_down_is_unavailable_and_a_restart_reconnects() {
    let port = free_port();
    let err = RedisBackend::connect(&format!("redis://127.0.0.1:{port}"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_UNAVAILABLE");
    assert!(
        err.to_string().starts_with(&format!(
            "storage unavailable: cannot connect to Redis: 127.0.0.1:{port}: "
        )),
        "{err}"
    );

    let mut server = RedisServer::start();
    let cache = RedisBackend::connect(&url(&server, "")).await.unwrap();
    cache.set("k", b"v".to_vec(), None).await.unwrap();
    server.restart();
    // The kept connection is dead; the call replaces it once and succeeds.
    assert_eq!(cache.get("k").await.unwrap(), None);
    cache.set("k", b"again".to_vec(), None).await.unwrap();
    assert_eq!(cache.get("k").await.unwrap(), Some(b"again".to_vec()));
}

/// A listener that accepts connections and never writes a byte.
async fn silent_listener() -> (
    u16,
    tokio::task::JoinHandle<()>,
    std::sync::Arc<AtomicUsize>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (port, task, accepted)
}

#[tokio::test]
async fn a_silent_server_times_out_its_reply_and_the_next_call_reconnects() {
    let (port, task, accepted) = silent_listener().await;
    let connector =
        TokioConnector::tcp("127.0.0.1", port).reply_timeout(Duration::from_millis(200));
    let cache = RedisBackend::builder(connector).build().unwrap();
    let err = cache.get("k").await.unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_UNAVAILABLE");
    assert_eq!(
        err.to_string(),
        format!("storage unavailable: Redis connection dropped: no reply from 127.0.0.1:{port} within 200 ms")
    );
    let err = cache.get("k").await.unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_UNAVAILABLE");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "a new connection per call"
    );
    task.abort();
}

#[tokio::test]
async fn the_connect_timeout_covers_the_tls_handshake() {
    let (port, task, _) = silent_listener().await;
    let tls = TlsConfig::webpki_roots().unwrap();
    let cache = RedisBackend::builder(TokioConnector::tls("127.0.0.1", port, tls))
        .connect_timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let err = cache.health_check().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("storage unavailable: cannot connect to Redis: 127.0.0.1:{port}: no connection within 150 ms")
    );
    task.abort();
}

/// A CA and a certificate for `localhost` and 127.0.0.1 it signed, made by
/// the `openssl` command in a fresh directory.
struct Certs {
    dir: PathBuf,
}

impl Certs {
    fn make() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "edgecache-tls-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let steps: [&[&str]; 3] = [
            &[
                &["req", "-x509"],
                &ec[..],
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.crt",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=edgecache test CA",
                ],
            ]
            .concat(),
            &[
                &["req"],
                &ec[..],
                &[
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=localhost",
                ],
            ]
            .concat(),
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
        ];
        for args in steps {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .output()
                .expect("the TLS tests need the `openssl` command (bash scripts/setup.sh)");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }

    /// A redis-server with TLS on a second port: (server, TLS port).
    fn server(&self, extra: &[&str]) -> (RedisServer, u16) {
        let tls_port = free_port().to_string();
        let (cert, key, ca) = (
            self.path("server.crt"),
            self.path("server.key"),
            self.path("ca.crt"),
        );
        let mut args = vec![
            "--tls-port",
            &tls_port,
            "--tls-cert-file",
            &cert,
            "--tls-key-file",
            &key,
            "--tls-ca-cert-file",
            &ca,
            "--tls-auth-clients",
            "no",
        ];
        args.extend_from_slice(extra);
        (RedisServer::start_with(&args), tls_port.parse().unwrap())
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn tls_with_a_private_ca_passes_the_conformance_suite() {
    let certs = Certs::make();
    let (server, tls_port) = certs.server(&["--requirepass", "pw"]);
    let ca = TlsConfig::with_ca_pem(&std::fs::read(certs.path("ca.crt")).unwrap()).unwrap();
    let clock = ManualClock::new(1_700_000_000_000);
    let store = RedisBackend::builder(TokioConnector::tls("localhost", tls_port, ca.clone()))
        .password("pw")
        .clock(clock.clone())
        .build()
        .unwrap();
    conformance::run(
        |ns| match ns {
            Some(ns) => store.with_namespace(ns),
            None => Ok(store.clone()),
        },
        &clock,
    )
    .await
    .unwrap();
    // A value larger than one TLS record and one read.
    let big = vec![7u8; 300_000];
    store.set("big", big.clone(), None).await.unwrap();
    assert_eq!(store.get("big").await.unwrap(), Some(big));
    store.clear_all().await.unwrap();
    assert_eq!(server.raw(&[b"pw"]).dbsize(), 0);

    // The certificate names 127.0.0.1 too.
    let by_ip = RedisBackend::builder(TokioConnector::tls("127.0.0.1", tls_port, ca))
        .password("pw")
        .build()
        .unwrap();
    assert!(by_ip.health_check().await.unwrap());
}

#[tokio::test]
async fn tls_refuses_a_certificate_it_cannot_verify() {
    let certs = Certs::make();
    let (_server, tls_port) = certs.server(&[]);
    // rediss:// trusts the public roots only: our private CA is unknown.
    let err = RedisBackend::connect(&format!("rediss://localhost:{tls_port}"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_UNAVAILABLE");
    assert!(
        err.to_string()
            .contains(&format!("localhost:{tls_port}: TLS handshake failed: ")),
        "{err}"
    );
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");

    // The right CA, the wrong name.
    let other = Certs::make();
    let ca = TlsConfig::with_ca_pem(&std::fs::read(certs.path("ca.crt")).unwrap()).unwrap();
    drop(other);
    let wrong_name = RedisBackend::builder(TokioConnector::tls("127.0.0.2", tls_port, ca))
        .build()
        .unwrap();
    let err = wrong_name.health_check().await.unwrap_err();
    assert_eq!(err.code(), "EDGECACHE_UNAVAILABLE", "{err}");

    let err = TlsConfig::with_ca_pem(b"").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid options: TLS CA certificate: the PEM holds no CERTIFICATE block"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_tokio_tasks_share_one_backend() {
    let server = RedisServer::start();
    let cache = RedisBackend::connect(&url(&server, "")).await.unwrap();
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move {
                let key = format!("task:{i}");
                cache.set(&key, vec![i as u8; i * 100], None).await.unwrap();
                assert_eq!(cache.get(&key).await.unwrap(), Some(vec![i as u8; i * 100]));
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(server.raw(&[]).dbsize(), 64);
}
