//! Password hashing with argon2id (PHC strings, RFC 9106 / OWASP parameters).
//!
//! Hashing and verification are deliberately slow (tens of milliseconds and
//! `m_cost` KiB of memory each) and block the calling thread: async callers
//! must run [`PasswordHasher::hash`], [`PasswordHasher::verify`] and
//! [`PasswordHasher::verify_dummy`] inside `tokio::task::spawn_blocking` (and
//! should bound how many run at once).
//!
//! Vestibule only ever writes argon2id. Hashes from other systems (bcrypt,
//! PBKDF2, scrypt, SHA-crypt, salted digests, …; imported users and custom
//! databases) are verified through [`crate::legacy_hash`], and
//! [`PasswordHasher::needs_rehash`] is true for them, so the login path
//! replaces them with argon2id at the user's first successful login.

use crate::CryptoError;
use argon2::{Algorithm, Argon2, PasswordHash, Version};

/// Upper bounds on the cost parameters we are willing to run when verifying
/// a stored hash, so that a corrupted or hostile PHC string cannot make a
/// login request allocate gigabytes or spin for minutes.
const MAX_M_COST_KIB: u32 = 1024 * 1024;
const MAX_T_COST: u32 = 64;
const MAX_P_COST: u32 = 16;
const SALT_LEN: usize = 16;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory cost in KiB.
    pub m_cost_kib: u32,
    /// Number of passes.
    pub t_cost: u32,
    /// Degree of parallelism (lanes).
    pub p_cost: u32,
}

impl Default for PasswordParams {
    /// OWASP's argon2id recommendation: m = 19 MiB, t = 2, p = 1.
    fn default() -> Self {
        Self {
            m_cost_kib: 19_456,
            t_cost: 2,
            p_cost: 1,
        }
    }
}

/// Hashes and verifies passwords with argon2id at fixed parameters.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: PasswordParams,
    argon2: Argon2<'static>,
}

impl PasswordHasher {
    /// A hasher for `params`; fails if argon2 rejects them or they exceed the
    /// verification bounds.
    pub fn new(params: PasswordParams) -> Result<Self, CryptoError> {
        if params.m_cost_kib > MAX_M_COST_KIB
            || params.t_cost > MAX_T_COST
            || params.p_cost > MAX_P_COST
        {
            return Err(CryptoError::InvalidPasswordParams);
        }
        let argon_params =
            argon2::Params::new(params.m_cost_kib, params.t_cost, params.p_cost, None)
                .map_err(|_| CryptoError::InvalidPasswordParams)?;
        Ok(Self {
            params,
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params),
        })
    }

    /// The configured parameters.
    pub fn params(&self) -> PasswordParams {
        self.params
    }

    /// Working memory for this hasher's parameters, to pass to the `*_with`
    /// methods. A thread that hashes often keeps one and reuses it: argon2
    /// needs `m_cost` KiB per hash, and allocating and freeing that much for
    /// every login leaves each thread's allocator holding freed blocks.
    /// The memory is allocated on first use, not here.
    pub fn workspace(&self) -> HashWorkspace {
        HashWorkspace {
            blocks: Vec::new(),
            wanted: self.argon2_params().block_count(),
        }
    }

    fn argon2_params(&self) -> argon2::Params {
        argon2::Params::new(
            self.params.m_cost_kib,
            self.params.t_cost,
            self.params.p_cost,
            None,
        )
        .unwrap_or(argon2::Params::DEFAULT)
    }

    /// Hashes `password` with a fresh random salt; returns a PHC string
    /// (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). Blocking; see module docs.
    pub fn hash(&self, password: &str) -> Result<String, CryptoError> {
        self.hash_with(&mut self.workspace(), password)
    }

    /// [`PasswordHasher::hash`] in the caller's working memory.
    pub fn hash_with(
        &self,
        workspace: &mut HashWorkspace,
        password: &str,
    ) -> Result<String, CryptoError> {
        let mut salt = [0u8; SALT_LEN];
        crate::secrets::fill_random(&mut salt)?;
        let params = self.argon2_params();
        let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
        self.argon2
            .hash_password_into_with_memory(
                password.as_bytes(),
                &salt,
                &mut out,
                workspace.blocks(params.block_count()),
            )
            .map_err(|_| CryptoError::PasswordHashing)?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: argon2::password_hash::phc::ParamsString::try_from(&params)
                .map_err(|_| CryptoError::PasswordHashing)?,
            salt: Some(
                argon2::password_hash::phc::Salt::new(&salt)
                    .map_err(|_| CryptoError::PasswordHashing)?,
            ),
            hash: Some(
                argon2::password_hash::phc::Output::new(&out)
                    .map_err(|_| CryptoError::PasswordHashing)?,
            ),
        };
        Ok(hash.to_string())
    }

    /// Checks `password` against a stored hash: an argon2id PHC string
    /// (Vestibule's own, verified with the parameters recorded in it) or any
    /// format [`crate::legacy_hash`] knows. `Ok(false)` means wrong password;
    /// `Err` means the stored hash is unusable (callers fail closed).
    /// Blocking; see module docs.
    pub fn verify(&self, password: &str, phc: &str) -> Result<bool, CryptoError> {
        self.verify_with(&mut self.workspace(), password, phc)
    }

    /// [`PasswordHasher::verify`] in the caller's working memory (used when
    /// the stored parameters fit in it; larger ones allocate their own).
    pub fn verify_with(
        &self,
        workspace: &mut HashWorkspace,
        password: &str,
        phc: &str,
    ) -> Result<bool, CryptoError> {
        if !phc.starts_with("$argon2id$") {
            return crate::legacy_hash::verify(phc, password)
                .map_err(|_| CryptoError::InvalidPasswordHash);
        }
        let hash = PasswordHash::new(phc).map_err(|_| CryptoError::InvalidPasswordHash)?;
        let stored =
            argon2::Params::try_from(&hash).map_err(|_| CryptoError::InvalidPasswordHash)?;
        if stored.m_cost() > MAX_M_COST_KIB
            || stored.t_cost() > MAX_T_COST
            || stored.p_cost() > MAX_P_COST
        {
            return Err(CryptoError::InvalidPasswordHash);
        }
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return Err(CryptoError::InvalidPasswordHash);
        };
        let version = match hash.version {
            Some(version) => {
                Version::try_from(version).map_err(|_| CryptoError::InvalidPasswordHash)?
            }
            None => Version::default(),
        };
        let block_count = stored.block_count();
        let argon2 = Argon2::new(Algorithm::Argon2id, version, stored);
        let mut out = vec![0u8; expected.len()];
        let computed = if block_count <= workspace.wanted {
            argon2.hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                workspace.blocks(block_count),
            )
        } else {
            argon2.hash_password_into(password.as_bytes(), salt, &mut out)
        };
        computed.map_err(|_| CryptoError::InvalidPasswordHash)?;
        let computed = argon2::password_hash::phc::Output::new(&out)
            .map_err(|_| CryptoError::InvalidPasswordHash)?;
        // `Output`'s equality is constant-time.
        Ok(&computed == expected)
    }

    /// Spends the same work as [`PasswordHasher::verify`] against a hash made
    /// with the configured parameters, and returns `false`. Call it when the
    /// user does not exist so that response time does not reveal which
    /// usernames are registered. Blocking; see module docs.
    pub fn verify_dummy(&self, password: &str) -> bool {
        self.verify_dummy_with(&mut self.workspace(), password)
    }

    /// [`PasswordHasher::verify_dummy`] in the caller's working memory.
    pub fn verify_dummy_with(&self, workspace: &mut HashWorkspace, password: &str) -> bool {
        let mut out = [0u8; 32];
        let blocks = workspace.blocks(self.argon2_params().block_count());
        // The result is irrelevant; only the work matters.
        let _ = self.argon2.hash_password_into_with_memory(
            password.as_bytes(),
            &[0x5a; SALT_LEN],
            &mut out,
            blocks,
        );
        std::hint::black_box(out);
        false
    }

    /// Whether a stored hash should be replaced after a successful login
    /// because it is not argon2id with the configured parameters.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(hash) = PasswordHash::new(phc) else {
            return true;
        };
        if hash.algorithm.as_str() != "argon2id" || hash.version != Some(0x13) {
            return true;
        }
        match argon2::Params::try_from(&hash) {
            Ok(stored) => {
                stored.m_cost() != self.params.m_cost_kib
                    || stored.t_cost() != self.params.t_cost
                    || stored.p_cost() != self.params.p_cost
            }
            Err(_) => true,
        }
    }
}

/// Reusable argon2 working memory; see [`PasswordHasher::workspace`].
pub struct HashWorkspace {
    blocks: Vec<argon2::Block>,
    /// Blocks the hasher's own parameters need (allocated on first use).
    wanted: usize,
}

impl HashWorkspace {
    /// The first `count` blocks (`count` ≤ `wanted`), allocating the whole
    /// workspace the first time. Argon2 overwrites every block it reads
    /// within one hash, so leftovers from the previous hash do not matter.
    fn blocks(&mut self, count: usize) -> &mut [argon2::Block] {
        if self.blocks.len() < self.wanted {
            self.blocks = vec![argon2::Block::new(); self.wanted];
        }
        let count = count.min(self.blocks.len());
        &mut self.blocks[..count]
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        let params = PasswordParams::default();
        let argon_params =
            argon2::Params::new(params.m_cost_kib, params.t_cost, params.p_cost, None)
                .unwrap_or(argon2::Params::DEFAULT);
        Self {
            params,
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{PasswordHasher as _, PasswordVerifier as _};

    fn small() -> PasswordHasher {
        PasswordHasher::new(PasswordParams {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        })
        .unwrap()
    }

    #[test]
    fn hash_and_verify() {
        let hasher = small();
        let phc = hasher.hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(hasher.verify("correct horse", &phc).unwrap());
        assert!(!hasher.verify("correct horsE", &phc).unwrap());
        assert!(!hasher.verify("", &phc).unwrap());
        assert_ne!(phc, hasher.hash("correct horse").unwrap(), "salted");
        assert!(!hasher.needs_rehash(&phc));
    }

    #[test]
    fn a_reused_workspace_agrees_with_the_reference_implementation() {
        let hasher = small();
        let mut workspace = hasher.workspace();
        // Dirty the workspace with other hashes first.
        for password in ["one", "two"] {
            hasher.hash_with(&mut workspace, password).unwrap();
            hasher.verify_dummy_with(&mut workspace, password);
        }
        let ours = hasher.hash_with(&mut workspace, "correct horse").unwrap();
        let reference = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            argon2::Params::new(64, 1, 1, None).unwrap(),
        );
        assert!(
            reference
                .verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap())
                .is_ok()
        );
        let theirs = reference
            .hash_password_with_salt(b"battery staple", b"0123456789abcdef")
            .unwrap()
            .to_string();
        assert!(
            hasher
                .verify_with(&mut workspace, "battery staple", &theirs)
                .unwrap()
        );
        assert!(
            !hasher
                .verify_with(&mut workspace, "battery stapl", &theirs)
                .unwrap()
        );
        // A hash with more memory than the workspace holds still verifies.
        let bigger = PasswordHasher::new(PasswordParams {
            m_cost_kib: 256,
            t_cost: 1,
            p_cost: 2,
        })
        .unwrap()
        .hash("pw")
        .unwrap();
        assert!(hasher.verify_with(&mut workspace, "pw", &bigger).unwrap());
        assert!(!hasher.verify_with(&mut workspace, "pW", &bigger).unwrap());
    }

    #[test]
    fn verifies_with_the_stored_parameters() {
        let old = small().hash("pw").unwrap();
        let newer = PasswordHasher::new(PasswordParams {
            m_cost_kib: 128,
            t_cost: 2,
            p_cost: 1,
        })
        .unwrap();
        assert!(newer.verify("pw", &old).unwrap());
        assert!(newer.needs_rehash(&old));
    }

    #[test]
    fn bad_hashes_are_errors() {
        let hasher = small();
        assert_eq!(
            hasher.verify("pw", "").unwrap_err(),
            CryptoError::InvalidPasswordHash
        );
        assert_eq!(
            hasher
                .verify("pw", "$2b$10$abcdefghijklmnopqrstuu")
                .unwrap_err(),
            CryptoError::InvalidPasswordHash
        );
        // Absurd stored cost is refused before any work is done.
        let phc = hasher.hash("pw").unwrap().replace("m=64", "m=4000000");
        assert_eq!(
            hasher.verify("pw", &phc).unwrap_err(),
            CryptoError::InvalidPasswordHash
        );
        assert!(hasher.needs_rehash("not a hash"));
    }

    #[test]
    fn legacy_hashes_verify_and_need_rehash() {
        let hasher = small();
        // passlib sha256_crypt and bcrypt (Python `bcrypt`) vectors.
        let sha_crypt = "$5$qkvJbJN4F3VcolOJ$5RN2Kz73tr4J1RtTwj5NRGadZs.n5B3uiM0HaxM8SDB";
        let bcrypt = "$2b$04$SvPgor8zmtTVIP7FZfoPvuOx1Zun1mSMjtL.JQWzUJX6WfnVfzPeW";
        let argon2i = "$argon2i$v=19$m=64,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$zEgUAfk8nkAqqwmxnskapVML0TG0qJm7u/61l2dzSuc";
        for stored in [sha_crypt, bcrypt, argon2i] {
            assert!(
                hasher
                    .verify("correct horse battery staple", stored)
                    .unwrap()
            );
            assert!(
                !hasher
                    .verify("correct horse battery stapl", stored)
                    .unwrap()
            );
            assert!(hasher.needs_rehash(stored), "{stored}");
        }
        assert_eq!(
            hasher.verify("pw", "{RC4}abcd").unwrap_err(),
            CryptoError::InvalidPasswordHash
        );
    }

    #[test]
    fn dummy_is_false_and_params_are_validated() {
        assert!(!small().verify_dummy("anything"));
        assert!(
            PasswordHasher::new(PasswordParams {
                m_cost_kib: 1,
                t_cost: 1,
                p_cost: 1,
            })
            .is_err()
        );
        assert!(
            PasswordHasher::new(PasswordParams {
                t_cost: 1000,
                ..PasswordParams::default()
            })
            .is_err()
        );
        assert_eq!(
            PasswordHasher::default().params(),
            PasswordParams::default()
        );
    }
}
