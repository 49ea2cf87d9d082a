//! ANSI styles for the text formats; `Paint(false)` returns text unchanged.

/// Whether to colour: `Paint(true)` wraps text in ANSI escapes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Paint(pub bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }

    pub fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }

    pub fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }

    pub fn red_bold(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }

    pub fn green_bold(&self, s: &str) -> String {
        self.wrap("1;32", s)
    }

    pub fn cyan(&self, s: &str) -> String {
        self.wrap("36", s)
    }
}
