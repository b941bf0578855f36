//! Password hashing: argon2id at OWASP parameters (19 MiB, t=2, p=1). Each hash costs ~25 ms of
//! CPU and 19 MiB, so hashing runs on a few dedicated threads: a sign-in storm queues instead of
//! exhausting memory or starving registration on the async workers.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{oneshot, OnceCell};

use crate::web::AppError;

fn argon2() -> Argon2<'static> {
    // OWASP password storage cheat sheet: m=19 MiB, t=2, p=1.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` into a PHC string (blocking: call off the async workers).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// Checks `password` against a stored PHC string (blocking). A malformed stored hash never matches.
pub fn verify_password(stored: &str, password: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// A small pool of dedicated hashing threads: the pool size is the concurrency bound, and each
/// thread reuses its own 19 MiB working memory. (Hashing on the shared blocking pool let every
/// one of its many threads keep an allocator arena with that memory: gigabytes under a storm.)
#[derive(Clone)]
pub struct Hasher {
    jobs: std::sync::mpsc::Sender<Job>,
    dummy: Arc<OnceCell<String>>,
}

impl Hasher {
    pub fn new(concurrency: usize) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..concurrency.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next job, not while hashing.
                    let job = match queue.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return, // every Hasher clone is gone
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Hasher {
            jobs,
            dummy: Arc::new(OnceCell::new()),
        }
    }

    /// Verifies against `stored`, or against a dummy hash when the account does not exist, so an
    /// unknown id costs the same time as a wrong password.
    pub async fn verify(&self, stored: Option<String>, password: String) -> Result<bool, AppError> {
        let known = stored.is_some();
        let stored = match stored {
            Some(h) => h,
            None => self.dummy().await?,
        };
        let ok = self
            .bounded(move || verify_password(&stored, &password))
            .await?;
        Ok(known && ok)
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.bounded(move || hash_password(&password))
            .await?
            .map_err(AppError::Internal)
    }

    async fn dummy(&self) -> Result<String, AppError> {
        let this = self.clone();
        self.dummy
            .get_or_try_init(|| async move {
                let random: [u8; 16] = rand::random();
                this.hash(hex::encode(random)).await
            })
            .await
            .cloned()
    }

    async fn bounded<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let queue = metrics::gauge!("sugang_password_hash_queue");
        let (tx, rx) = oneshot::channel();
        let waiting = queue.clone();
        waiting.increment(1.0);
        let job: Job = Box::new(move || {
            waiting.decrement(1.0);
            let started = Instant::now();
            let out = f();
            metrics::histogram!("sugang_password_hash_duration_seconds")
                .record(started.elapsed().as_secs_f64());
            let _ = tx.send(out);
        });
        if self.jobs.send(job).is_err() {
            queue.decrement(1.0);
            return Err(AppError::Internal(anyhow::anyhow!(
                "password hashing threads are gone"
            )));
        }
        rx.await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("password hashing thread failed")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_reject() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "correct horsE"));
        assert!(!verify_password("not a hash", "correct horse"));
    }
}
