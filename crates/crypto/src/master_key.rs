//! The instance master key and authenticated sealing of secrets at rest.
//!
//! Everything secret that Vestibule stores (private signing keys, client
//! secrets that must be recoverable, upstream connection secrets) is sealed
//! with AES-256-GCM under one 32-byte master key that lives outside the
//! database. The caller-chosen `context` string is bound in as associated
//! data, so a value sealed as, say, a client secret cannot be opened as a
//! private key even though both use the same master key.
//!
//! Format: `v1.` + base64url-no-pad(`nonce (12 bytes) || ciphertext || tag (16 bytes)`).
//! Nonces are random 96-bit values; with one key this is safe for well over
//! the number of values an identity server ever seals (the NIST bound for
//! random GCM nonces is 2^32 messages per key).

use crate::CryptoError;
use crate::b64;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::fmt;
use zeroize::Zeroizing;

const VERSION_PREFIX: &str = "v1.";
const KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// The 256-bit instance master key. Zeroized on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct MasterKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// Parses a key from exactly 64 hexadecimal characters (either case).
    pub fn from_hex(text: &str) -> Result<Self, CryptoError> {
        if text.len() != KEY_LEN * 2 {
            return Err(CryptoError::InvalidMasterKey);
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        hex::decode_to_slice(text, bytes.as_mut_slice())
            .map_err(|_| CryptoError::InvalidMasterKey)?;
        Ok(Self { bytes })
    }

    /// A fresh random key from the system CSPRNG.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        crate::secrets::fill_random(bytes.as_mut_slice())?;
        Ok(Self { bytes })
    }

    /// Lower-case hex, for writing a generated key to configuration once.
    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes.as_slice())
    }

    fn aead_key(&self) -> Result<LessSafeKey, CryptoError> {
        UnboundKey::new(&AES_256_GCM, self.bytes.as_slice())
            .map(LessSafeKey::new)
            .map_err(|_| CryptoError::InvalidMasterKey)
    }

    /// Encrypts and authenticates `plaintext`, binding `context` as AAD.
    ///
    /// Fails only if the system random number generator fails.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<String, CryptoError> {
        let key = self.aead_key()?;
        let mut nonce_bytes = [0u8; NONCE_LEN];
        crate::secrets::fill_random(&mut nonce_bytes)?;

        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(plaintext);
        let (_, body) = out.split_at_mut(NONCE_LEN);
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(context.as_bytes()),
                body,
            )
            .map_err(|_| CryptoError::Random)?;
        out.extend_from_slice(tag.as_ref());
        Ok(format!("{VERSION_PREFIX}{}", b64::url_encode(&out)))
    }

    /// Verifies and decrypts a value produced by [`MasterKey::seal`] with the
    /// same `context`. Any mismatch (key, context, tampering) is
    /// [`CryptoError::OpenFailed`].
    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, CryptoError> {
        let body = match sealed.split_once('.') {
            Some(("v1", body)) => body,
            Some((version, _)) if version.starts_with('v') => {
                return Err(CryptoError::UnsupportedSealVersion);
            }
            _ => return Err(CryptoError::MalformedSealed),
        };
        let mut raw = b64::url_decode(body).ok_or(CryptoError::MalformedSealed)?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::MalformedSealed);
        }
        let key = self.aead_key()?;
        let (nonce_bytes, ciphertext) = raw.split_at_mut(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce_bytes)
            .map_err(|_| CryptoError::MalformedSealed)?;
        let plaintext_len = key
            .open_in_place(nonce, Aad::from(context.as_bytes()), ciphertext)
            .map_err(|_| CryptoError::OpenFailed)?
            .len();
        let plaintext = raw
            .get(NONCE_LEN..NONCE_LEN + plaintext_len)
            .map(<[u8]>::to_vec)
            .ok_or(CryptoError::OpenFailed);
        zeroize::Zeroize::zeroize(&mut raw);
        plaintext
    }

    /// [`MasterKey::seal`] for text.
    pub fn seal_str(&self, context: &str, plaintext: &str) -> Result<String, CryptoError> {
        self.seal(context, plaintext.as_bytes())
    }

    /// [`MasterKey::open`] for text sealed with [`MasterKey::seal_str`].
    pub fn open_str(&self, context: &str, sealed: &str) -> Result<String, CryptoError> {
        String::from_utf8(self.open(context, sealed)?).map_err(|_| CryptoError::NotUtf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn hex_round_trip_and_validation() {
        let key = MasterKey::from_hex(HEX).unwrap();
        assert_eq!(key.to_hex(), HEX);
        assert_eq!(
            MasterKey::from_hex(&HEX.to_uppercase()).unwrap().to_hex(),
            HEX
        );
        assert_eq!(
            MasterKey::from_hex(&HEX[..62]).unwrap_err(),
            CryptoError::InvalidMasterKey
        );
        assert_eq!(
            MasterKey::from_hex(&format!("{HEX}00")).unwrap_err(),
            CryptoError::InvalidMasterKey
        );
        let bad = format!("{}zz", &HEX[..62]);
        assert_eq!(
            MasterKey::from_hex(&bad).unwrap_err(),
            CryptoError::InvalidMasterKey
        );
        assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
        let generated = MasterKey::generate().unwrap();
        assert_eq!(generated.to_hex().len(), 64);
        assert_ne!(generated.to_hex(), MasterKey::generate().unwrap().to_hex());
    }

    #[test]
    fn seal_open_round_trip() {
        let key = MasterKey::generate().unwrap();
        let sealed = key.seal("signing_key", b"secret der").unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains('='));
        assert_eq!(key.open("signing_key", &sealed).unwrap(), b"secret der");
        // Random nonce: sealing twice differs.
        assert_ne!(sealed, key.seal("signing_key", b"secret der").unwrap());
        // Empty plaintext works.
        let empty = key.seal("x", b"").unwrap();
        assert_eq!(key.open("x", &empty).unwrap(), b"");
        let text = key.seal_str("client_secret", "höhö").unwrap();
        assert_eq!(key.open_str("client_secret", &text).unwrap(), "höhö");
    }

    #[test]
    fn wrong_context_key_or_tampering_fails() {
        let key = MasterKey::generate().unwrap();
        let sealed = key.seal("client_secret", b"abc").unwrap();
        assert_eq!(
            key.open("signing_key", &sealed).unwrap_err(),
            CryptoError::OpenFailed
        );
        let other = MasterKey::generate().unwrap();
        assert_eq!(
            other.open("client_secret", &sealed).unwrap_err(),
            CryptoError::OpenFailed
        );

        // Flip one bit in every byte position of the body in turn.
        let raw = b64::url_decode(&sealed[3..]).unwrap();
        for i in 0..raw.len() {
            let mut tampered = raw.clone();
            tampered[i] ^= 0x01;
            let text = format!("v1.{}", b64::url_encode(&tampered));
            assert_eq!(
                key.open("client_secret", &text).unwrap_err(),
                CryptoError::OpenFailed
            );
        }
        // Truncation.
        let short = format!("v1.{}", b64::url_encode(&raw[..raw.len() - 1]));
        assert_eq!(
            key.open("client_secret", &short).unwrap_err(),
            CryptoError::OpenFailed
        );
        let tiny = format!("v1.{}", b64::url_encode(&raw[..20]));
        assert_eq!(
            key.open("client_secret", &tiny).unwrap_err(),
            CryptoError::MalformedSealed
        );
    }

    #[test]
    fn malformed_inputs() {
        let key = MasterKey::generate().unwrap();
        let sealed = key.seal("c", b"abc").unwrap();
        assert_eq!(key.open("c", "").unwrap_err(), CryptoError::MalformedSealed);
        assert_eq!(
            key.open("c", &sealed[3..]).unwrap_err(),
            CryptoError::MalformedSealed
        );
        assert_eq!(
            key.open("c", &sealed.replacen("v1.", "v2.", 1))
                .unwrap_err(),
            CryptoError::UnsupportedSealVersion
        );
        assert_eq!(
            key.open("c", &format!("{sealed}=")).unwrap_err(),
            CryptoError::MalformedSealed
        );
        assert_eq!(
            key.open("c", "v1.!!!!").unwrap_err(),
            CryptoError::MalformedSealed
        );
        assert_eq!(
            key.open_str("c", &key.seal("c", &[0xff]).unwrap())
                .unwrap_err(),
            CryptoError::NotUtf8
        );
    }
}
