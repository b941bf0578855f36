//! Device cookies (OWASP "slow down online guessing with device cookies"): a browser that signed
//! in to an account gets a cookie signed by the server and bound to that account. Its sign-in
//! attempts are judged on their own (a lockout of the account by failures from elsewhere does not
//! reach it); attempts without one are the "untrusted clients" that get delays, then the lockout.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const DEVICE_COOKIE: &str = "sugang_device";
/// How long a browser stays known after its last successful sign-in.
pub const DEVICE_COOKIE_DAYS: i64 = 180;

use crate::config::DeviceKey;

/// Signing with the key from the settings.
impl DeviceKey {
    fn mac(&self, login_id: &str, nonce: &str) -> Hmac<Sha256> {
        // A key of any length is accepted by HMAC; `new_from_slice` cannot fail here.
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.bytes()) {
            Ok(m) => m,
            Err(_) => unreachable_key(),
        };
        mac.update(login_id.to_ascii_lowercase().as_bytes());
        mac.update(b"\0");
        mac.update(nonce.as_bytes());
        mac
    }

    /// A new cookie value for a browser that just signed in to `login_id`.
    pub fn issue(&self, login_id: &str) -> String {
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let tag = hex::encode(self.mac(login_id, &nonce).finalize().into_bytes());
        format!("{nonce}.{tag}")
    }

    /// The device id (the nonce) when `value` is a cookie this key signed for `login_id`.
    pub fn verify(&self, login_id: &str, value: &str) -> Option<String> {
        let (nonce, tag) = value.split_once('.')?;
        if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let tag = hex::decode(tag).ok()?;
        // `verify_slice` compares in constant time.
        self.mac(login_id, nonce).verify_slice(&tag).ok()?;
        Some(nonce.to_string())
    }
}

#[cold]
fn unreachable_key() -> ! {
    panic!("HMAC accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_known_only_for_its_account_and_key() {
        let key = DeviceKey::random();
        let cookie = key.issue("20250001");
        assert!(key.verify("20250001", &cookie).is_some());
        assert!(key
            .verify("20250001".to_uppercase().as_str(), &cookie)
            .is_some());
        assert!(key.verify("20250002", &cookie).is_none());
        assert!(DeviceKey::random().verify("20250001", &cookie).is_none());
    }

    #[test]
    fn tampered_and_malformed_cookies_are_unknown() {
        let key = DeviceKey::random();
        let cookie = key.issue("a");
        let mut tampered = cookie.clone();
        tampered.replace_range(0..1, if cookie.starts_with('0') { "1" } else { "0" });
        assert!(key.verify("a", &tampered).is_none());
        for bad in ["", ".", "abc", "zz.zz", &cookie[..cookie.len() - 2]] {
            assert!(key.verify("a", bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn keys_from_settings_are_long_enough() {
        assert!(DeviceKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(DeviceKey::from_hex(&"ab".repeat(16)).is_err());
        assert!(DeviceKey::from_hex("not hex").is_err());
        assert_eq!(format!("{:?}", DeviceKey::random()), "DeviceKey(..)");
    }
}
