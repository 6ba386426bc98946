//! Password hashing: argon2id with OWASP's recommended parameters, stored as a PHC
//! string so the parameters travel with the hash.
//!
//! Hashing is slow by design. The server runs it on a thread of its own, with a bounded
//! queue, so a burst of sign-ins cannot take every worker thread from other requests.

use std::sync::mpsc;

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};

/// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
fn argon2() -> Result<Argon2<'static>, argon2::Error> {
    Ok(Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None)?,
    ))
}

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// Hashes a password with a fresh random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    let argon2 = argon2().map_err(|e| HashError(e.to_string()))?;
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    argon2()
        .map(|argon2| argon2.verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

type Job = Box<dyn FnOnce() + Send>;

/// A small pool of threads for hashing and verifying passwords.
#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::SyncSender<Job>,
    /// A real hash of a random password, verified against when an email is unknown so
    /// that an unknown email takes as long as a wrong password.
    dummy_hash: std::sync::Arc<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HasherError {
    #[error("too many sign-ins are waiting; try again shortly")]
    Busy,
    #[error("the password hasher stopped")]
    Stopped,
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// How many sign-ins may wait for a hasher thread before new ones are turned away.
const QUEUE: usize = 256;

impl Hasher {
    pub fn start(threads: usize) -> Result<Self, HashError> {
        let (jobs, receiver) = mpsc::sync_channel::<Job>(QUEUE);
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        for i in 0..threads.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("beacon-hasher-{i}"))
                .spawn(move || {
                    loop {
                        let job = match receiver.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|e| HashError(e.to_string()))?;
        }
        let dummy = hash(&format!("{:x}", rand::random::<u128>()))?;
        Ok(Hasher {
            jobs,
            dummy_hash: std::sync::Arc::new(dummy),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HasherError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        self.jobs.try_send(job).map_err(|e| match e {
            mpsc::TrySendError::Full(_) => HasherError::Busy,
            mpsc::TrySendError::Disconnected(_) => HasherError::Stopped,
        })?;
        result.await.map_err(|_| HasherError::Stopped)
    }

    pub async fn hash(&self, password: String) -> Result<String, HasherError> {
        Ok(self.run(move || hash(&password)).await??)
    }

    /// Verifies against the stored hash, or against the dummy when there is none, so
    /// both cases cost the same.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, HasherError> {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let matches = self.run(move || verify(&password, &phc)).await?;
        Ok(known && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery staple", &phc));
        assert!(!verify("correct horse battery stapler", &phc));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        assert_ne!(
            hash("same password here").unwrap(),
            hash("same password here").unwrap()
        );
    }

    #[tokio::test]
    async fn the_hasher_never_accepts_an_unknown_user() {
        let hasher = Hasher::start(1).unwrap();
        let phc = hasher.hash("a long enough password".into()).await.unwrap();
        assert!(
            hasher
                .verify("a long enough password".into(), Some(phc))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("a long enough password".into(), None)
                .await
                .unwrap()
        );
    }
}
