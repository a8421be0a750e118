//! Decoding of the SASL client messages the server understands: PLAIN (RFC 4616), XOAUTH2
//! (Google/Microsoft) and OAUTHBEARER (RFC 7628).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The challenge sent (base64-encoded) when a bearer token is refused.
pub const OAUTH_ERROR_JSON: &str = r#"{"status":"401","schemes":"bearer","scope":"https://outlook.office.com/IMAP.AccessAsUser.All"}"#;

/// Credentials carried by a SASL client message.
#[derive(Debug, PartialEq, Eq)]
pub enum Credentials {
    /// PLAIN: authorization identity (possibly empty), user, password.
    Password {
        /// Authorization identity; empty means "same as `user`".
        authzid: String,
        /// Authentication identity.
        user: String,
        /// Password.
        password: String,
    },
    /// XOAUTH2 / OAUTHBEARER: user and bearer token.
    Bearer {
        /// User the token is for.
        user: String,
        /// The bearer token.
        token: String,
    },
}

/// Decode a base64 SASL response (`=` is the empty response).
pub fn decode_response(text: &[u8]) -> Option<Vec<u8>> {
    if text == b"=" {
        return Some(Vec::new());
    }
    STANDARD.decode(text).ok()
}

/// Base64 for a challenge.
pub fn encode_challenge(text: &str) -> String {
    STANDARD.encode(text)
}

/// Decode a PLAIN message: `authzid NUL authcid NUL passwd`.
pub fn plain(message: &[u8]) -> Option<Credentials> {
    let mut parts = message.split(|&b| b == 0);
    let authzid = parts.next()?;
    let user = parts.next()?;
    let password = parts.next()?;
    if parts.next().is_some() || user.is_empty() {
        return None;
    }
    Some(Credentials::Password {
        authzid: String::from_utf8(authzid.to_vec()).ok()?,
        user: String::from_utf8(user.to_vec()).ok()?,
        password: String::from_utf8(password.to_vec()).ok()?,
    })
}

/// Decode an XOAUTH2 message: `user=U ^A auth=Bearer T ^A ^A`.
pub fn xoauth2(message: &[u8]) -> Option<Credentials> {
    let text = std::str::from_utf8(message).ok()?;
    let body = text.strip_suffix("\x01\x01")?;
    let mut user = None;
    let mut token = None;
    for field in body.split('\x01') {
        if let Some(u) = field.strip_prefix("user=") {
            user = Some(u.to_owned());
        } else if let Some(auth) = field.strip_prefix("auth=") {
            token = Some(bearer(auth)?);
        } else {
            return None;
        }
    }
    Some(Credentials::Bearer {
        user: user?,
        token: token?,
    })
}

/// Decode an OAUTHBEARER message: `n,a=U, ^A host=H ^A port=P ^A auth=Bearer T ^A ^A`.
pub fn oauthbearer(message: &[u8]) -> Option<Credentials> {
    let text = std::str::from_utf8(message).ok()?;
    let (gs2, rest) = text.split_once('\x01')?;
    let body = rest.strip_suffix("\x01\x01")?;
    let mut gs2_fields = gs2.split(',');
    if !matches!(gs2_fields.next()?, "n" | "y") {
        return None;
    }
    let user = gs2_fields
        .next()?
        .strip_prefix("a=")
        .map(|u| u.replace("=2C", ",").replace("=3D", "="))?;
    if !gs2_fields.next()?.is_empty() || gs2_fields.next().is_some() {
        return None;
    }
    let mut token = None;
    for field in body.split('\x01') {
        let (key, value) = field.split_once('=')?;
        if key == "auth" {
            token = Some(bearer(value)?);
        }
    }
    Some(Credentials::Bearer {
        user,
        token: token?,
    })
}

/// `Bearer <token>` (scheme case-insensitive).
fn bearer(auth: &str) -> Option<String> {
    let (scheme, token) = auth.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then(|| token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_three_mechanisms() {
        assert_eq!(
            plain(b"\0u\0p"),
            Some(Credentials::Password {
                authzid: String::new(),
                user: "u".into(),
                password: "p".into()
            })
        );
        assert_eq!(plain(b"u\0p"), None);
        assert_eq!(
            xoauth2(b"user=a@b\x01auth=Bearer tok\x01\x01"),
            Some(Credentials::Bearer {
                user: "a@b".into(),
                token: "tok".into()
            })
        );
        assert_eq!(xoauth2(b"user=a@b\x01auth=Basic tok\x01\x01"), None);
        assert_eq!(
            oauthbearer(b"n,a=a=2Cb,\x01host=h\x01port=993\x01auth=Bearer tok\x01\x01"),
            Some(Credentials::Bearer {
                user: "a,b".into(),
                token: "tok".into()
            })
        );
        assert_eq!(oauthbearer(b"n,,\x01auth=Bearer tok\x01\x01"), None);
        assert_eq!(decode_response(b"="), Some(Vec::new()));
        assert_eq!(decode_response(b"!!"), None);
    }
}
