//! Image facts for a long-running server (the admission webhook): every image is resolved and
//! verified once, in the background, and kept for a while; concurrent requests for the same
//! image share one lookup; a request waits for facts no longer than its deadline.

use crate::cosign::VerifyOptions;
use crate::facts::{facts_for, ImageFacts};
use crate::source::ImageSource;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long facts are kept, and how many lookups run at once.
#[derive(Debug, Clone)]
pub struct SharedOptions {
    /// Facts with a verdict are kept this long (tags move; signatures get added).
    pub ttl: Duration,
    /// Failed lookups (registry unreachable, tag missing) are retried after this long.
    pub error_ttl: Duration,
    /// Lookups running at once; more wait their turn.
    pub concurrency: usize,
    /// Most images kept; the oldest are dropped beyond it.
    pub max_entries: usize,
}

impl Default for SharedOptions {
    fn default() -> Self {
        SharedOptions {
            ttl: Duration::from_secs(300),
            error_ttl: Duration::from_secs(15),
            concurrency: 8,
            max_entries: 10_000,
        }
    }
}

/// One image's lookup: pending until its facts arrive.
struct Slot {
    facts: Mutex<Option<(ImageFacts, Instant)>>,
    ready: Condvar,
}

/// The cache, shared by every request of a server.
pub struct SharedFacts {
    source: Arc<dyn ImageSource + Send + Sync>,
    verify: VerifyOptions,
    opts: SharedOptions,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    /// Lookups running now.
    running: Arc<(Mutex<usize>, Condvar)>,
}

impl SharedFacts {
    /// A cache reading through `source` and judging signatures with `verify`.
    pub fn new(
        source: Arc<dyn ImageSource + Send + Sync>,
        verify: VerifyOptions,
        opts: SharedOptions,
    ) -> Arc<SharedFacts> {
        Arc::new(SharedFacts {
            source,
            verify,
            opts,
            slots: Mutex::new(HashMap::new()),
            running: Arc::new((Mutex::new(0), Condvar::new())),
        })
    }

    /// Facts for each image (in order), waiting until `deadline` at most. An image whose lookup
    /// has not finished by then gets facts saying so; its lookup goes on, so a retry of the
    /// request finds it.
    pub fn facts(self: &Arc<Self>, images: &[String], deadline: Instant) -> Vec<ImageFacts> {
        let slots: Vec<Arc<Slot>> = images.iter().map(|i| self.slot(i)).collect();
        images
            .iter()
            .zip(slots)
            .map(|(image, slot)| {
                let mut guard = slot.facts.lock().unwrap_or_else(|p| p.into_inner());
                loop {
                    if let Some((f, _)) = guard.as_ref() {
                        return f.clone();
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        let mut f = ImageFacts::parse(image);
                        if f.valid {
                            f.error = format!(
                                "verification of {image} did not finish within the request's deadline; it goes on in the background, so a retry will see it"
                            );
                        }
                        return f;
                    }
                    guard = slot
                        .ready
                        .wait_timeout(guard, deadline - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            })
            .collect()
    }

    /// The image's slot: a fresh one (its lookup started) when there is none or it expired.
    fn slot(self: &Arc<Self>, image: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = slots.get(image) {
            let expired = s
                .facts
                .lock()
                .map(|f| {
                    f.as_ref()
                        .is_some_and(|(_, until)| Instant::now() >= *until)
                })
                .unwrap_or(true);
            if !expired {
                return s.clone();
            }
        }
        if slots.len() >= self.opts.max_entries {
            // Drop the finished entries that expire first.
            let mut done: Vec<(String, Instant)> = slots
                .iter()
                .filter_map(|(k, s)| {
                    let f = s.facts.lock().ok()?;
                    f.as_ref().map(|(_, until)| (k.clone(), *until))
                })
                .collect();
            done.sort_by_key(|(_, until)| *until);
            for (k, _) in done.iter().take(slots.len() / 10 + 1) {
                slots.remove(k);
            }
        }
        let slot = Arc::new(Slot {
            facts: Mutex::new(None),
            ready: Condvar::new(),
        });
        slots.insert(image.to_owned(), slot.clone());
        drop(slots);
        let me = self.clone();
        let (image, s) = (image.to_owned(), slot.clone());
        std::thread::spawn(move || {
            let (count, turn) = &*me.running;
            {
                let mut n = count.lock().unwrap_or_else(|p| p.into_inner());
                while *n >= me.opts.concurrency.max(1) {
                    n = turn.wait(n).unwrap_or_else(|p| p.into_inner());
                }
                *n += 1;
            }
            let f = facts_for(&image, &*me.source, &me.verify, true);
            let ttl = if f.error.is_empty() {
                me.opts.ttl
            } else {
                me.opts.error_ttl
            };
            *s.facts.lock().unwrap_or_else(|p| p.into_inner()) = Some((f, Instant::now() + ttl));
            s.ready.notify_all();
            *count.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
            turn.notify_one();
        });
        slot
    }

    /// Images held now (for metrics and tests).
    pub fn len(&self) -> usize {
        self.slots.lock().map(|s| s.len()).unwrap_or(0)
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
