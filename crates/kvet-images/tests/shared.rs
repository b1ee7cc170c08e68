//! The webhook's shared image facts: one lookup per image however many requests ask, a
//! request's deadline bounds its wait (the lookup goes on), and facts expire.

use kvet_images::registry::{ClientOptions, RegistryClient};
use kvet_images::shared::{SharedFacts, SharedOptions};
use kvet_images::source::{Manifest, SourceError};
use kvet_images::testing::{LocalRegistry, TestKey};
use kvet_images::{ImageSource, VerifyOptions};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The loopback registry, each tag lookup slowed down and counted.
struct Slow {
    inner: RegistryClient,
    delay: Duration,
    lookups: AtomicUsize,
}

impl ImageSource for Slow {
    fn manifest(
        &self,
        r: &str,
        repo: &str,
        reference: &str,
    ) -> Result<Option<Manifest>, SourceError> {
        self.inner.manifest(r, repo, reference)
    }
    fn resolve(&self, r: &str, repo: &str, tag: &str) -> Result<Option<String>, SourceError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        self.inner.resolve(r, repo, tag)
    }
    fn blob(&self, r: &str, repo: &str, d: &str) -> Result<Vec<u8>, SourceError> {
        self.inner.blob(r, repo, d)
    }
    fn referrers(&self, r: &str, repo: &str, d: &str) -> Result<Option<Manifest>, SourceError> {
        self.inner.referrers(r, repo, d)
    }
}

#[test]
fn requests_share_lookups_and_keep_to_their_deadline() {
    let Ok(Some(reg)) = LocalRegistry::start() else {
        eprintln!("\n!!! SKIPPED: /usr/bin/docker-registry is not installed !!!\n");
        return;
    };
    let key = TestKey::new("release");
    let img = reg.push_image("app", Some("1"), "app").unwrap();
    reg.sign_legacy("app", img["digest"].as_str().unwrap(), &key)
        .unwrap();
    let source = Arc::new(Slow {
        inner: RegistryClient::new(ClientOptions {
            insecure: vec![reg.host.clone()],
            ..Default::default()
        }),
        delay: Duration::from_millis(400),
        lookups: AtomicUsize::new(0),
    });
    let shared = SharedFacts::new(
        source.clone(),
        VerifyOptions {
            keys: vec![key.public("release")],
            ..Default::default()
        },
        SharedOptions {
            ttl: Duration::from_millis(1500),
            ..Default::default()
        },
    );
    let image = format!("{}/app:1", reg.host);
    // A request with a short deadline is answered in time, saying verification is pending.
    let t = Instant::now();
    let f = shared.facts(std::slice::from_ref(&image), t + Duration::from_millis(50));
    assert!(t.elapsed() < Duration::from_millis(300));
    assert!(!f[0].signed);
    assert!(
        f[0].error
            .contains("did not finish within the request's deadline"),
        "{}",
        f[0].error
    );
    // Eight concurrent requests wait on that same lookup.
    let answers: Vec<bool> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| {
                let (shared, image) = (shared.clone(), image.clone());
                s.spawn(move || {
                    shared.facts(&[image], Instant::now() + Duration::from_secs(10))[0].signed
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(answers, vec![true; 8]);
    assert_eq!(source.lookups.load(Ordering::SeqCst), 1);
    // Kept while fresh: answered at once.
    let t = Instant::now();
    assert!(shared.facts(std::slice::from_ref(&image), t + Duration::from_secs(5))[0].signed);
    assert!(t.elapsed() < Duration::from_millis(100));
    // Expired: looked up again.
    std::thread::sleep(Duration::from_millis(1600));
    assert!(
        shared.facts(
            std::slice::from_ref(&image),
            Instant::now() + Duration::from_secs(10)
        )[0]
        .signed
    );
    assert_eq!(source.lookups.load(Ordering::SeqCst), 2);
    assert_eq!(shared.len(), 1);
}
