//! `public-routes`: routes the project means to be open (login, password reset, a health
//! check). An unguarded route that matches is `public` rather than `unguarded`; a route some
//! guard protects keeps its status.

use globset::{Glob, GlobMatcher};

use super::{Report, Route};

/// One `public-routes` entry, matched against a route's name and its pattern (`/` + pattern).
struct Entry {
    matcher: Option<GlobMatcher>,
    text: String,
}

impl Entry {
    fn new(text: &str) -> Self {
        let text = text.trim().to_string();
        Entry {
            matcher: Glob::new(&text).ok().map(|g| g.compile_matcher()),
            text,
        }
    }

    fn matches(&self, route: &Route) -> bool {
        let path = format!("/{}", route.pattern);
        let candidates = [route.name.as_deref(), Some(path.as_str())];
        let found = candidates.into_iter().flatten().any(|c| {
            c == self.text
                || c == format!("/{}", self.text.trim_start_matches('/'))
                || self
                    .matcher
                    .as_ref()
                    .is_some_and(|m| m.is_match(c) || m.is_match(c.trim_start_matches('/')))
        });
        found
    }
}

impl Report {
    /// Mark the unguarded routes `public-routes` names as `public`, and count them.
    pub fn mark_public(&mut self, public_routes: &[String]) {
        if public_routes.is_empty() {
            return;
        }
        let entries: Vec<Entry> = public_routes.iter().map(|e| Entry::new(e)).collect();
        for p in &mut self.projects {
            for r in &mut p.routes {
                if r.status == "unguarded" && entries.iter().any(|e| e.matches(r)) {
                    r.status = "public";
                    p.summary.unguarded -= 1;
                    p.summary.public += 1;
                }
            }
        }
    }
}
