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

/// How long a search by a whole number keeps its token (the cadre pages through its results).
const SEARCH_KEEP: Duration = Duration::from_secs(30 * 60);

/// Searches by a whole ID number or mobile: the number stays on the server and the URL carries
/// a random token instead, valid for its session (paging, reloading) for half an hour.
#[derive(Default, Clone)]
pub struct SearchTexts(Arc<Mutex<Searched>>);

/// (session id, token): when it was kept, and the text.
type Searched = HashMap<(i64, String), (Instant, Zeroizing<String>)>;

impl SearchTexts {
    /// Keeps `text` for the session; returns its token.
    pub fn put(&self, session: i64, text: &str) -> String {
        let token = crate::auth::sessions::random_token();
        let mut map = self.0.lock().expect("search lock");
        let now = Instant::now();
        map.retain(|_, (at, _)| now.duration_since(*at) < SEARCH_KEEP);
        map.insert(
            (session, token.clone()),
            (now, Zeroizing::new(text.to_string())),
        );
        token
    }

    /// The text behind a token of this session, if it is still kept.
    pub fn get(&self, session: i64, token: &str) -> Option<String> {
        let map = self.0.lock().expect("search lock");
        map.get(&(session, token.to_string()))
            .filter(|(at, _)| at.elapsed() < SEARCH_KEEP)
            .map(|(_, t)| t.to_string())
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

    #[test]
    fn a_search_token_serves_its_session_only_and_again() {
        let s = SearchTexts::default();
        let t = s.put(1, "110105199003070020");
        assert_eq!(t.len(), 43, "{t}");
        assert_eq!(s.get(1, &t).as_deref(), Some("110105199003070020"));
        assert_eq!(
            s.get(1, &t).as_deref(),
            Some("110105199003070020"),
            "paging again"
        );
        assert_eq!(s.get(2, &t), None);
        assert_eq!(s.get(1, "other"), None);
    }
}
