//! Certificate trust for the `tls` check: the OS trust store (plus `--ca-file`) through the platform
//! verifier, loaded in the background and only waited for when the server's certificate arrives,
//! so the ClientHello never waits for it; a recording wrapper that keeps the chain and the
//! verification outcome even when verification fails (and, without a store, accepts anything to
//! probe whether a port speaks TLS at all).

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Instant;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

type Trust = Result<Arc<dyn ServerCertVerifier>, rustls::Error>;

/// A trust store being loaded on a blocking thread.
#[derive(Debug, Default)]
pub struct PendingTrust {
    slot: Mutex<Option<Trust>>,
    ready: Condvar,
}

impl PendingTrust {
    fn start(extra_roots: Vec<CertificateDer<'static>>) -> Arc<PendingTrust> {
        let pending = Arc::new(PendingTrust::default());
        let filling = pending.clone();
        std::thread::spawn(move || {
            let provider = Arc::new(provider());
            let loaded: Trust = cert_file_env_problem()
                .map_or(Ok(()), |why| Err(rustls::Error::General(why)))
                .and_then(|()| {
                    rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots, provider)
                })
                .map(|v| Arc::new(v) as Arc<dyn ServerCertVerifier>);
            *filling.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(loaded);
            filling.ready.notify_all();
        });
        pending
    }

    /// Blocks until the store is loaded (it usually is by the time a certificate arrives), or
    /// until `deadline`: `None` when it was not loaded by then.
    fn wait(&self, deadline: Instant) -> Option<Trust> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(trust) = slot.as_ref() {
                return Some(trust.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            slot = match self.ready.wait_timeout(slot, left) {
                Ok((slot, _)) => slot,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

/// Why `SSL_CERT_FILE`, where the platform verifier reads the OS store from it (Linux and the
/// BSDs), must not be read: not a regular file (a FIFO would block the load, `/dev/zero` would
/// fill memory) or larger than a CA bundle can be.
#[cfg(all(unix, not(target_os = "android"), not(target_vendor = "apple")))]
fn cert_file_env_problem() -> Option<String> {
    let path = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty())?;
    let path = std::path::Path::new(&path);
    let why = match crate::input_file::check_regular(path, crate::input_file::MAX_CA_BUNDLE) {
        // A missing or unreadable file only yields no certificates: the loader reports that.
        Ok(()) | Err(crate::input_file::InputError::Io(_)) => return None,
        Err(why) => why,
    };
    let shown = crate::sanitize::terminal_text(&path.display().to_string());
    Some(format!("SSL_CERT_FILE {shown}: {why}"))
}

/// Elsewhere the platform verifier does not read `SSL_CERT_FILE`.
#[cfg(not(all(unix, not(target_os = "android"), not(target_vendor = "apple"))))]
fn cert_file_env_problem() -> Option<String> {
    None
}

/// The process's trust store: reading the OS store costs milliseconds of CPU, so it is loaded once,
/// starting as early as [`prepare`] is called.
static TRUST: OnceLock<(Vec<CertificateDer<'static>>, Arc<PendingTrust>)> = OnceLock::new();

/// The trust store for these extra roots (started now if it was not yet).
pub fn pending(extra_roots: &[CertificateDer<'static>]) -> Arc<PendingTrust> {
    let (roots, pending) = TRUST.get_or_init(|| {
        (
            extra_roots.to_vec(),
            PendingTrust::start(extra_roots.to_vec()),
        )
    });
    if roots.as_slice() == extra_roots {
        pending.clone()
    } else {
        PendingTrust::start(extra_roots.to_vec())
    }
}

/// Starts loading the trust store in the background (call it first thing in a run).
pub fn prepare(extra_roots: &[CertificateDer<'static>]) {
    let _ = pending(extra_roots);
}

fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// What verification saw.
#[derive(Debug, Default)]
pub struct Captured {
    /// The presented chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// Why verification failed, if it did.
    pub error: Option<rustls::Error>,
    /// The trust store itself could not be loaded.
    pub no_trust_store: bool,
}

/// Verifies with the platform verifier and records the chain and the outcome; without a trust
/// store it accepts any certificate (only to probe whether a port speaks TLS at all).
#[derive(Debug)]
struct RecordingVerifier {
    trust: Option<Arc<PendingTrust>>,
    provider: Arc<CryptoProvider>,
    insecure: bool,
    captured: Arc<Mutex<Captured>>,
    /// The step's deadline: the handshake never waits for the trust store beyond it.
    deadline: Instant,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(trust) = &self.trust else {
            return Ok(ServerCertVerified::assertion());
        };
        let Some(trust) = trust.wait(self.deadline) else {
            let late = rustls::Error::General(
                "the trust store did not load within the time limit (reading it blocked: do SSL_CERT_FILE or SSL_CERT_DIR name a file that never ends?)".into(),
            );
            let mut captured = self.captured.lock().unwrap_or_else(|p| p.into_inner());
            captured.no_trust_store = true;
            captured.error = Some(late.clone());
            return if self.insecure {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(late)
            };
        };
        let result = match &trust {
            Ok(verifier) => {
                verifier.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            }
            Err(e) => Err(e.clone()),
        };
        let mut captured = self.captured.lock().unwrap_or_else(|p| p.into_inner());
        captured.chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        captured.no_trust_store = trust.is_err();
        captured.error = result.as_ref().err().cloned();
        if self.insecure {
            return Ok(ServerCertVerified::assertion());
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn config_with(
    verifier: Arc<dyn ServerCertVerifier>,
    provider: Arc<CryptoProvider>,
) -> Arc<rustls::ClientConfig> {
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// A client configuration that verifies against the trust store (waiting for it at most until
/// `deadline`) and records into `captured`.
pub fn recording_config(
    extra_roots: &[CertificateDer<'static>],
    insecure: bool,
    captured: Arc<Mutex<Captured>>,
    deadline: Instant,
) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(provider());
    let verifier = RecordingVerifier {
        trust: Some(pending(extra_roots)),
        provider: provider.clone(),
        insecure,
        captured,
        deadline,
    };
    config_with(Arc::new(verifier), provider)
}

/// A client configuration that accepts any certificate (never used to send anything).
pub fn probing_config() -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(provider());
    let verifier = RecordingVerifier {
        trust: None,
        provider: provider.clone(),
        insecure: true,
        captured: Arc::default(),
        deadline: Instant::now(),
    };
    config_with(Arc::new(verifier), provider)
}

/// A client configuration that verifies against the trust store (the OS store plus
/// `extra_roots`, waiting for it at most until `deadline`, at the handshake) and refuses what
/// fails: for imapdoctor's own HTTPS requests (autoconfig documents, the OAuth sign-in), where
/// nothing is recorded.
pub fn verifying_config(
    extra_roots: &[CertificateDer<'static>],
    deadline: Instant,
) -> rustls::ClientConfig {
    let provider = Arc::new(provider());
    let verifier = RecordingVerifier {
        trust: Some(pending(extra_roots)),
        provider: provider.clone(),
        insecure: false,
        captured: Arc::default(),
        deadline,
    };
    Arc::unwrap_or_clone(config_with(Arc::new(verifier), provider))
}
