//! TLS for [`TokioConnector`](super::TokioConnector) (feature `tls`).
//!
//! **Why rustls with aws-lc-rs** (not native-tls, not rustls' ring
//! provider):
//!
//! - native-tls links the system's OpenSSL on Linux: a system package every
//!   build machine and container must carry (`libssl-dev`, `pkg-config`),
//!   with behaviour that differs per OS (SChannel, Security.framework).
//!   rustls is Rust and the same everywhere.
//! - aws-lc-rs is rustls' default provider and has the post-quantum hybrid
//!   key exchange (X25519MLKEM768); rustls 0.23.48 deprecated its ring
//!   provider for lacking it. aws-lc-rs needs only a C compiler on Linux and
//!   macOS (cmake only for other targets and FIPS builds; no cmake is
//!   installed here and it builds).
//! - Build time, measured with a cold `cargo build` of tokio-rustls on this
//!   project's 2-core machine: 16 s with aws-lc-rs against 7 s with ring
//!   when idle (281 s against 60 s under a load average of 5-15). Nine
//!   seconds for a maintained provider with post-quantum key exchange.
//!
//! Roots come from `webpki-roots` (Mozilla's list, compiled in), so a build
//! needs nothing from the OS; a private CA is one [`TlsConfig::with_ca_pem`]
//! away, and [`TlsConfig::from_client_config`] takes any rustls setup
//! (client certificates, other roots, another provider such as ring).

use std::fmt;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use crate::{Error, Result};

/// The TLS client settings of a [`TokioConnector`](super::TokioConnector):
/// which certificate authorities to trust. Cheap to clone.
///
/// ```
/// use edgecache::net::{TlsConfig, TokioConnector};
///
/// // Public CAs (what `rediss://` URLs use).
/// let public = TokioConnector::tls("cache.example.com", 6380, TlsConfig::webpki_roots()?);
///
/// // A private CA, from its PEM certificate.
/// let err = TlsConfig::with_ca_pem(b"not a certificate").unwrap_err();
/// assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
/// # Ok::<(), edgecache::Error>(())
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<ClientConfig>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

/// rustls' defaults (TLS 1.2 and 1.3) with aws-lc-rs as the crypto
/// provider, named here rather than taken from the process default (which
/// rustls cannot pick when a build enables several providers).
fn config_with_roots(roots: RootCertStore) -> Result<ClientConfig> {
    Ok(
        ClientConfig::builder_with_provider(
            Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        )
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::InvalidOptions(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

impl TlsConfig {
    /// Trusts Mozilla's root certificates (the `webpki-roots` crate): the
    /// public CAs, as a browser would.
    /// [`Error::InvalidOptions`] only if the crypto provider refuses
    /// rustls' default protocol versions, which aws-lc-rs never does.
    pub fn webpki_roots() -> Result<Self> {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Ok(Self {
            config: Arc::new(config_with_roots(roots)?),
        })
    }

    /// Trusts only the CA certificates in `pem` (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks): a private CA, as managed Redis
    /// services and self-run servers use. [`Error::InvalidOptions`] if it
    /// holds no certificate or one rustls cannot use as a root.
    pub fn with_ca_pem(pem: &[u8]) -> Result<Self> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| {
                Error::InvalidOptions(format!("TLS CA certificate: not valid PEM ({e})"))
            })?;
            roots.add(cert).map_err(|e| {
                Error::InvalidOptions(format!("TLS CA certificate cannot be a root: {e}"))
            })?;
        }
        if roots.is_empty() {
            return Err(Error::InvalidOptions(
                "TLS CA certificate: the PEM holds no CERTIFICATE block".into(),
            ));
        }
        Ok(Self {
            config: Arc::new(config_with_roots(roots)?),
        })
    }

    /// Any rustls client configuration (client certificates, other roots,
    /// another crypto provider).
    pub fn from_client_config(config: Arc<ClientConfig>) -> Self {
        Self { config }
    }

    /// The TLS handshake over `tcp`, checking the certificate for `host`.
    pub(super) async fn handshake(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> std::io::Result<TlsStream<TcpStream>> {
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        TlsConnector::from(Arc::clone(&self.config))
            .connect(name, tcp)
            .await
    }
}
