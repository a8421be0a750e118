//! A throw-away public-key infrastructure for the demo server and the tests: a private CA and
//! leaf certificates with chosen names and validity (valid, expired, not yet valid, self-signed).

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// A private certificate authority that signs leaf certificates.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM (what `--ca-file` takes).
    pub cert_pem: String,
    /// The CA certificate, DER.
    pub cert_der: CertificateDer<'static>,
}

/// What a leaf certificate should say.
#[derive(Clone, Debug)]
pub struct LeafSpec {
    /// Subject alternative names (DNS names or IP literals); the first is also the CN.
    pub names: Vec<String>,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

/// A leaf certificate with its chain and private key, ready to serve.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// Leaf first, then the issuing CA (absent for a self-signed leaf).
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key, PKCS#8 DER.
    pub key_pkcs8: Vec<u8>,
    /// The leaf certificate, PEM.
    pub cert_pem: String,
    /// The leaf's private key, PEM.
    pub key_pem: String,
}

impl LeafSpec {
    /// Valid from yesterday for a year (and an hour, so "365 days left" holds for the hour
    /// after issue whatever second a check runs in).
    pub fn valid_for<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            names: names.into_iter().map(Into::into).collect(),
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(365) + Duration::hours(1),
        }
    }

    /// Expired ten days ago.
    pub fn expired<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            not_before: now - Duration::days(400),
            not_after: now - Duration::days(10),
            ..Self::valid_for(names)
        }
    }

    /// Valid only from thirty days from now.
    pub fn not_yet_valid<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        let now = OffsetDateTime::now_utc();
        Self {
            not_before: now + Duration::days(30),
            not_after: now + Duration::days(400),
            ..Self::valid_for(names)
        }
    }

    /// Valid now, but expiring in `days` days.
    pub fn expiring_in<S: Into<String>>(names: impl IntoIterator<Item = S>, days: i64) -> Self {
        Self {
            not_after: OffsetDateTime::now_utc() + Duration::days(days) + Duration::hours(1),
            ..Self::valid_for(names)
        }
    }

    fn params(&self) -> CertificateParams {
        let mut params = CertificateParams::new(self.names.clone()).expect("valid names");
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            self.names.first().cloned().unwrap_or_default(),
        );
        dn.push(DnType::OrganizationName, "imapdoctor test server");
        params.distinguished_name = dn;
        params.not_before = self.not_before;
        params.not_after = self.not_after;
        params
    }
}

impl TestCa {
    /// A new CA whose subject common name is `name`.
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        dn.push(DnType::OrganizationName, name);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(2);
        params.not_after = now + Duration::days(3650);
        let key = KeyPair::generate().expect("key generation");
        let cert = params.self_signed(&key).expect("self-signing the CA");
        Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A TLS client configuration trusting only this CA: the client side of
    /// [`Leaf::server_config`], for tests that talk to a server holding one of its leaves.
    pub fn client_config(&self) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.cert_der.clone())
            .expect("the CA certificate");
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
    }

    /// A leaf certificate signed by this CA.
    pub fn issue(&self, spec: &LeafSpec) -> Leaf {
        let key = KeyPair::generate().expect("key generation");
        let cert = spec
            .params()
            .signed_by(&key, &self.issuer)
            .expect("signing the leaf");
        Leaf {
            chain: vec![cert.der().clone(), self.cert_der.clone()],
            key_pkcs8: key.serialize_der(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

impl Leaf {
    /// A certificate signed by its own key (no CA).
    pub fn self_signed(spec: &LeafSpec) -> Self {
        let key = KeyPair::generate().expect("key generation");
        let cert = spec.params().self_signed(&key).expect("self-signing");
        Self {
            chain: vec![cert.der().clone()],
            key_pkcs8: key.serialize_der(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// The chain as PEM (leaf first), as a server's certificate file holds it.
    pub fn chain_pem(&self) -> String {
        self.chain
            .iter()
            .map(|der| {
                let body = base64_lines(der);
                format!("-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n")
            })
            .collect()
    }

    /// A rustls server configuration presenting this chain.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_pkcs8.clone()));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .expect("certificate and key match");
        Arc::new(config)
    }
}

fn base64_lines(der: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    text.as_bytes()
        .chunks(64)
        .map(|line| format!("{}\n", String::from_utf8_lossy(line)))
        .collect()
}
