//! Values a form post produces that may be shown once (a revealed ID number, one half of an
//! initial password). The post keeps them here for its session and answers with a redirect;
//! the page it leads to takes them out. Reloading that page or coming back to it shows them
//! no more and repeats nothing: the action happened once, in the post.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

/// How long a value waits for its page (the redirect follows at once).
const KEEP: Duration = Duration::from_secs(120);

/// (session id, what): when it was kept, and the values.
type Kept = HashMap<(i64, String), (Instant, Vec<Zeroizing<String>>)>;

#[derive(Default, Clone)]
pub struct ShowOnce(Arc<Mutex<Kept>>);

impl ShowOnce {
    /// Keeps `values` for the session's next look at `what` (e.g. `reveal:123`).
    pub fn put(&self, session: i64, what: &str, values: Vec<String>) {
        let mut map = self.0.lock().expect("show-once lock");
        let now = Instant::now();
        map.retain(|_, (at, _)| now.duration_since(*at) < KEEP);
        map.insert(
            (session, what.to_string()),
            (now, values.into_iter().map(Zeroizing::new).collect()),
        );
    }

    /// The values kept for the session and `what`, removed; `None` when there are none
    /// (already shown, expired, or another session's).
    pub fn take(&self, session: i64, what: &str) -> Option<Vec<String>> {
        let mut map = self.0.lock().expect("show-once lock");
        let (at, values) = map.remove(&(session, what.to_string()))?;
        (at.elapsed() < KEEP).then(|| values.iter().map(|v| v.to_string()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_shown_once_and_only_to_its_session() {
        let once = ShowOnce::default();
        once.put(1, "reveal:9", vec!["a".into(), "b".into()]);
        assert_eq!(once.take(2, "reveal:9"), None);
        assert_eq!(once.take(1, "reveal:8"), None);
        assert_eq!(once.take(1, "reveal:9"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(once.take(1, "reveal:9"), None);
    }
}
