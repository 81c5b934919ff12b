//! Password hashing with argon2id (m = 19456 KiB, t = 2, p = 1: the OWASP minimum).
//! These functions are slow on purpose: call them off the async workers (`web::block`).

use std::sync::{LazyLock, Mutex};

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt length");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password")
        .to_string()
}

/// Whether `password` matches `stored`. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from);
    let mut salt_bytes = [0u8; 64];
    let (Ok(version), Ok(salt)) = (version, salt.decode_b64(&mut salt_bytes)) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let mut blocks = Blocks::take(params.block_count());
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        &mut blocks.0[..],
    );
    blocks.give_back();
    // Output's comparison takes the same time wherever the bytes differ.
    computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
}

/// Working memory for password checks (19 MiB each), kept for the next check instead of going back
/// to the allocator: with logins arriving on many threads, every thread's allocator cache would
/// otherwise end up holding one.
struct Blocks(Vec<Block>);

static SPARE_BLOCKS: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// At most this many are kept (about the number of checks that run at once on a small server).
const SPARE_BLOCKS_KEPT: usize = 2;

impl Blocks {
    fn take(count: usize) -> Blocks {
        let spare = SPARE_BLOCKS.lock().ok().and_then(|mut spare| spare.pop());
        match spare {
            Some(blocks) if blocks.len() == count => Blocks(blocks),
            _ => Blocks(vec![Block::default(); count]),
        }
    }

    fn give_back(self) {
        if let Ok(mut spare) = SPARE_BLOCKS.lock()
            && spare.len() < SPARE_BLOCKS_KEPT
        {
            spare.push(self.0);
        }
    }
}

/// A hash no password matches in practice, verified when an email is unknown so that the answer
/// takes as long as for a known one.
static DECOY: LazyLock<String> = LazyLock::new(|| hash("decoy password for unknown accounts"));

pub fn verify_decoy(password: &str) {
    let _ = verify(password, &DECOY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_uses_argon2id_with_the_required_cost() {
        let h = hash("correct horse battery staple");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("correct horse battery stapler", &h));
        assert_ne!(h, hash("correct horse battery staple"), "salted");
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn hashes_made_with_other_parameters_still_verify() {
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        for (algorithm, m, t) in [
            (Algorithm::Argon2id, 8192, 1),
            (Algorithm::Argon2i, 19456, 3),
        ] {
            let params = Params::new(m, t, 1, None).unwrap();
            let stored = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"old password", &salt)
                .unwrap()
                .to_string();
            assert!(verify("old password", &stored), "{stored}");
            assert!(!verify("old passwore", &stored), "{stored}");
            // Twice: the second check runs on reused working memory.
            assert!(verify("old password", &stored), "{stored}");
        }
        let h = hash("p");
        assert!(verify("p", &h) && verify("p", &h) && !verify("q", &h));
    }
}
