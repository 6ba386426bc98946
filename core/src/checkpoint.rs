//! Checkpoints: the audit chain's head (its last sequence number and hash) at a moment,
//! signed with the register's Ed25519 key. An auditor who keeps checkpoints outside
//! Beacon can later prove the trail still holds each one, so entries removed from its
//! end are found, and that each checkpoint came from this register.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// Names what is signed, so a signature over anything else never passes for one.
const VERSION: &str = "beacon-audit-checkpoint-v1";

/// The head of the chain at a moment, as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// When it was taken, RFC 3339 UTC (`2026-12-04T21:05:00.123456Z`).
    pub at: String,
}

impl Checkpoint {
    /// The bytes signed: the version tag, sequence number, hash and time, one per line.
    pub fn message(&self) -> String {
        format!("{VERSION}\n{}\n{}\n{}", self.seq, self.hash, self.at)
    }
}

/// Why a checkpoint's signature is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the checkpoint names another public key than this register's: it was not signed here")]
    AnotherKey,
    #[error(
        "the signature does not match the checkpoint: it was altered or not signed by this register"
    )]
    BadSignature,
    #[error("the {0} is not base64 of the right length")]
    Malformed(&'static str),
}

/// The register's checkpoint key, derived from a secret every server of one register
/// shares, so any of them signs alike and a restart keeps the key.
pub struct CheckpointKey(SigningKey);

impl CheckpointKey {
    pub fn derive(secret: &[u8]) -> Self {
        let seed: [u8; 32] = Sha256::new()
            .chain_update(VERSION.as_bytes())
            .chain_update(b"\n")
            .chain_update(secret)
            .finalize()
            .into();
        CheckpointKey(SigningKey::from_bytes(&seed))
    }

    /// The public key, base64: what an auditor keeps to check signatures.
    pub fn public_key(&self) -> String {
        STANDARD.encode(self.0.verifying_key().as_bytes())
    }

    /// The checkpoint's signature, base64.
    pub fn sign(&self, checkpoint: &Checkpoint) -> String {
        STANDARD.encode(self.0.sign(checkpoint.message().as_bytes()).to_bytes())
    }

    /// Accepts a checkpoint only if it names this key and its signature holds.
    pub fn check(
        &self,
        checkpoint: &Checkpoint,
        public_key: &str,
        signature: &str,
    ) -> Result<(), CheckpointError> {
        check(&self.public_key(), checkpoint, public_key, signature)
    }
}

/// Accepts a checkpoint only if it names the `trusted` public key and its signature
/// holds: what anyone who kept the register's public key can check, without its secret.
pub fn check(
    trusted: &str,
    checkpoint: &Checkpoint,
    public_key: &str,
    signature: &str,
) -> Result<(), CheckpointError> {
    if public_key.trim() != trusted.trim() {
        return Err(CheckpointError::AnotherKey);
    }
    verify(public_key, checkpoint, signature)
}

/// Checks a checkpoint's signature with a public key, as anyone holding the key can.
pub fn verify(
    public_key: &str,
    checkpoint: &Checkpoint,
    signature: &str,
) -> Result<(), CheckpointError> {
    let key: [u8; 32] = STANDARD
        .decode(public_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(CheckpointError::Malformed("public key"))?;
    let key =
        VerifyingKey::from_bytes(&key).map_err(|_| CheckpointError::Malformed("public key"))?;
    let signature: [u8; 64] = STANDARD
        .decode(signature.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(CheckpointError::Malformed("signature"))?;
    key.verify(
        checkpoint.message().as_bytes(),
        &Signature::from_bytes(&signature),
    )
    .map_err(|_| CheckpointError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> Checkpoint {
        Checkpoint {
            seq: 1204,
            hash: "ab".repeat(32),
            at: "2026-12-04T21:05:00.123456Z".into(),
        }
    }

    #[test]
    fn a_checkpoint_signed_here_checks_and_an_altered_one_does_not() {
        let key = CheckpointKey::derive(b"a secret every server shares");
        let signature = key.sign(&head());
        assert_eq!(key.check(&head(), &key.public_key(), &signature), Ok(()));
        let later = Checkpoint {
            seq: 1205,
            ..head()
        };
        assert_eq!(
            key.check(&later, &key.public_key(), &signature),
            Err(CheckpointError::BadSignature)
        );
        let same = CheckpointKey::derive(b"a secret every server shares");
        assert_eq!(
            same.public_key(),
            key.public_key(),
            "every server signs alike"
        );
        let other = CheckpointKey::derive(b"another register");
        let forged = other.sign(&head());
        assert_eq!(
            key.check(&head(), &other.public_key(), &forged),
            Err(CheckpointError::AnotherKey)
        );
        assert_eq!(
            key.check(&head(), &key.public_key(), &forged),
            Err(CheckpointError::BadSignature)
        );
        assert_eq!(
            key.check(&head(), &key.public_key(), "not base64!"),
            Err(CheckpointError::Malformed("signature"))
        );
    }
}
