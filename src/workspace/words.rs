//! Which words a file holds, kept for a file whose text is not: the scans that look for given
//! words in every file (the calls of the project's permission helpers, the uses of a custom
//! permission's codename) read again only the files that may hold them.
//!
//! A word is a run of ASCII letters, digits and `_`, as the scans delimit whole words. Two
//! sets:
//! - every word, as a Bloom filter with two bits per word: a power of two of bits (256 to
//!   65,536), at least one per four bytes of text (Python holds about one word per six bytes
//!   and repeats each about three times: at least four bits per distinct word, and about one
//!   absent word in ten is a false "maybe");
//! - the words called (`name(`), as sorted 32-bit hashes: few per file, and one false "maybe"
//!   in millions, so that a search for many helper names still skips nearly every file.
//!
//! "No" is certain; "maybe" is read and searched. Without the disk cache a dropped Python text
//! keeps the second set alone ([`Words::calls_of`]): building the first costs more than reading
//! the text again for the rarer scans that need it.

use aho_corasick::AhoCorasick;
use memchr::memmem;
use serde::{Deserialize, Serialize};

/// Every occurrence of a few needles in texts, overlapping ones included, for the scans
/// themselves: one vectorised substring search per needle while they are few (many times
/// faster than an automaton's overlapping search), one automaton pass when they are many.
pub enum Needles {
    Each(Vec<memmem::Finder<'static>>),
    Automaton(AhoCorasick),
}

impl Needles {
    /// Needles at most this many are searched one by one.
    const FEW: usize = 8;

    /// `None` when there is no needle (or, many needles, the automaton cannot be built).
    pub fn new<S: AsRef<[u8]>>(needles: &[S]) -> Option<Needles> {
        match needles.len() {
            0 => None,
            n if n <= Self::FEW => Some(Needles::Each(
                needles
                    .iter()
                    .map(|n| memmem::Finder::new(n.as_ref()).into_owned())
                    .collect(),
            )),
            _ => AhoCorasick::new(needles).ok().map(Needles::Automaton),
        }
    }

    /// Whether `accept(needle, start, end)` holds for some occurrence in `text`.
    pub fn any(&self, text: &[u8], mut accept: impl FnMut(usize, usize, usize) -> bool) -> bool {
        let mut found = false;
        self.each(text, |i, start, end| {
            found = accept(i, start, end);
            !found
        });
        found
    }

    /// Calls `visit(needle, start, end)` for each occurrence, needle by needle (or in text
    /// order for the automaton), until it returns `false`.
    pub fn each(&self, text: &[u8], mut visit: impl FnMut(usize, usize, usize) -> bool) {
        match self {
            Needles::Each(finders) => {
                for (i, f) in finders.iter().enumerate() {
                    let len = f.needle().len();
                    for start in f.find_iter(text) {
                        if !visit(i, start, start + len) {
                            return;
                        }
                    }
                }
            }
            Needles::Automaton(ac) => {
                for m in ac.find_overlapping_iter(text) {
                    if !visit(m.pattern().as_usize(), m.start(), m.end()) {
                        return;
                    }
                }
            }
        }
    }
}

/// The words of one text.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Words {
    /// Every word: a Bloom filter of a power of two of bits.
    all: Box<[u64]>,
    /// The words followed by `(`: their hashes, sorted and distinct.
    called: Box<[u32]>,
    /// Without `all` ([`Words::calls_of`]): which of [`WATCHED`] the text may hold (bit `i`).
    watched: u8,
}

/// Words a set of the words called alone still answers for: the settings lists a run-time
/// assignment may extend (`settings.INSTALLED_APPS += [...]`), which the index looks for in
/// every file.
const WATCHED: [&str; 2] = ["AUTHENTICATION_BACKENDS", "INSTALLED_APPS"];

static WORD: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        table[i] = c.is_ascii_alphanumeric() || c == b'_';
        i += 1;
    }
    table
};

/// The first eight bytes of `text[start..end]` (zero-padded), loaded at once when the text
/// allows.
fn head(text: &[u8], start: usize, end: usize) -> u64 {
    let n = end - start;
    match text.get(start..start + 8) {
        Some(b) => {
            let v = u64::from_le_bytes(b.try_into().unwrap_or_default());
            if n >= 8 {
                v
            } else {
                v & ((1u64 << (8 * n)) - 1)
            }
        }
        None => text[start..end.min(start + 8)]
            .iter()
            .rev()
            .fold(0, |v, &b| (v << 8) | u64::from(b)),
    }
}

/// The last eight bytes of `text[start..end]` (zero-padded at the front).
fn tail(text: &[u8], start: usize, end: usize) -> u64 {
    let n = end - start;
    if n >= 8 {
        return u64::from_le_bytes(text[end - 8..end].try_into().unwrap_or_default());
    }
    match end.checked_sub(8) {
        Some(from) => {
            let v = u64::from_le_bytes(text[from..end].try_into().unwrap_or_default());
            v & !((1u64 << (8 * (8 - n))) - 1)
        }
        None => text[start..end]
            .iter()
            .fold(0, |v, &b| (v >> 8) | (u64::from(b) << 56)),
    }
}

/// The hash of the word `text[start..end]`, from its first and last eight bytes and its length
/// (no loop over the bytes: a long text costs one pass to find its words and little more).
fn hash_at(text: &[u8], start: usize, end: usize) -> u64 {
    (head(text, start, end)
        ^ tail(text, start, end).rotate_left(29)
        ^ ((end - start) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
    .wrapping_mul(0x517c_c1b7_2722_0a95)
}

fn hash(word: &[u8]) -> u64 {
    hash_at(word, 0, word.len())
}

/// The two Bloom bits of a hash under `mask` (bits - 1).
fn bits(h: u64, mask: u64) -> [usize; 2] {
    [(h & mask) as usize, ((h >> 32) & mask) as usize]
}

fn called_hash(h: u64) -> u32 {
    (h >> 24) as u32
}

/// The words of `text`, as `(start, end)` offsets.
fn words(text: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < text.len() && !WORD[text[at] as usize] {
            at += 1;
        }
        let start = at;
        while at < text.len() && WORD[text[at] as usize] {
            at += 1;
        }
        (at > start).then_some((start, at))
    })
}

impl Words {
    pub fn of(text: &[u8]) -> Words {
        // Sized by the text: Python holds about one word per six bytes.
        let size = (text.len() / 4).clamp(256, 1 << 16).next_power_of_two();
        let mut all = vec![0u64; size / 64].into_boxed_slice();
        let mask = size as u64 - 1;
        let mut called = Vec::new();
        for (start, end) in words(text) {
            let h = hash_at(text, start, end);
            for b in bits(h, mask) {
                all[b / 64] |= 1 << (b % 64);
            }
            if text.get(end) == Some(&b'(') {
                called.push(called_hash(h));
            }
        }
        called.sort_unstable();
        called.dedup();
        Words {
            all,
            called: called.into_boxed_slice(),
            watched: 0,
        }
    }

    /// The words called alone, for a text no scan of every word will read without the cache:
    /// a text needs one pass over its `(`s instead of over all its words, and
    /// [`Words::may_hold`] answers "maybe" for every word but the [`WATCHED`] ones (the scan
    /// reads the text again).
    pub fn calls_of(text: &[u8]) -> Words {
        let watched = WATCHED
            .iter()
            .enumerate()
            .filter(|(_, w)| memmem::find(text, w.as_bytes()).is_some())
            .fold(0, |bits, (i, _)| bits | 1 << i);
        Words {
            all: Box::default(),
            called: called_of(text),
            watched,
        }
    }

    /// Forget the words called: only the helper-call scan reads them, while the workspace is
    /// built ([`crate::workspace::Workspace::drop_build_words`]).
    pub fn forget_calls(&mut self) {
        self.called = Box::default();
    }

    fn has(&self, word: &[u8]) -> bool {
        if self.all.is_empty() {
            return WATCHED
                .iter()
                .position(|w| w.as_bytes() == word)
                .is_none_or(|i| self.watched & (1 << i) != 0);
        }
        let mask = self.all.len() as u64 * 64 - 1;
        bits(hash(word), mask)
            .iter()
            .all(|&b| self.all[b / 64] & (1 << (b % 64)) != 0)
    }

    /// Whether the text may hold `needle` as a whole word (or, for a needle that is not one
    /// word, each of its words): `false` is certain.
    pub fn may_hold(&self, needle: &str) -> bool {
        let needle = needle.as_bytes();
        words(needle).all(|(start, end)| self.has(&needle[start..end]))
    }

    /// Whether the text may call `name` (hold `name(`, `name` a whole word): `false` is certain.
    pub fn may_call(&self, name: &str) -> bool {
        may_call(&self.called, name)
    }
}

/// The hashes of the words a text calls (`name(`), sorted and distinct: [`Words`]'s second
/// set alone, for a held text searched for calls again and again.
pub fn called_of(text: &[u8]) -> Box<[u32]> {
    let mut called: Vec<u32> = called_words(text)
        .map(|(start, end)| called_hash(hash_at(text, start, end)))
        .collect();
    called.sort_unstable();
    called.dedup();
    called.into_boxed_slice()
}

/// The words a text calls (`name(`, `name` a whole word), as `(start, end)` offsets: found from
/// each `(` back to the word before it.
pub fn called_words(text: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    memchr::memchr_iter(b'(', text).filter_map(|end| {
        let start = text[..end]
            .iter()
            .rposition(|b| !WORD[usize::from(*b)])
            .map_or(0, |i| i + 1);
        (start < end).then_some((start, end))
    })
}

/// Whether `called` ([`called_of`]) may hold `name`: `false` is certain.
pub fn may_call(called: &[u32], name: &str) -> bool {
    called
        .binary_search(&called_hash(hash(name.as_bytes())))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calls_of_a_text_are_the_words_called() {
        let text = b"x = can(user)\nif has_perm (p): ok()\n(y)\nname_2(";
        let of = Words::of(text);
        let called = called_of(text);
        for (name, is) in [
            ("can", true),
            ("ok", true),
            ("name_2", true),
            ("has_perm", false),
        ] {
            assert_eq!(may_call(&called, name), is, "{name}");
            assert_eq!(of.may_call(name), is, "{name}");
        }
    }

    #[test]
    fn holds_every_word_it_was_built_from() {
        let text = "from reports.helpers import can\n  x = user.has_perm('reports.can_export')\n";
        let words = Words::of(text.as_bytes());
        for w in [
            "from",
            "reports",
            "can",
            "can_export",
            "has_perm",
            "x",
            "reports.can_export",
        ] {
            assert!(words.may_hold(w), "{w}");
        }
        assert!(words.may_call("has_perm"));
        assert!(!words.may_call("can"));
        assert!(!words.may_call("user"));
    }

    #[test]
    fn mostly_answers_no_for_absent_words() {
        // As dense as Python: each word about three times.
        let text: String = (0..200)
            .map(|i| format!("word_{i} = call_{i}(word_{i}, word_{i})\n"))
            .collect();
        let words = Words::of(text.as_bytes());
        let maybe = (0..1000)
            .filter(|i| words.may_hold(&format!("other_{i}")))
            .count();
        assert!(maybe < 150, "{maybe} of 1000 absent words said maybe");
        assert!((0..200).all(|i| words.may_call(&format!("call_{i}"))));
        assert!(!(0..1000).any(|i| words.may_call(&format!("other_{i}"))));
        assert!(!Words::of(b"").may_hold("anything"));
    }

    #[test]
    fn a_word_hashes_alike_wherever_it_sits() {
        for word in [
            "a",
            "can",
            "has_perm",
            "can_export",
            "a_rather_long_codename_here",
        ] {
            for (before, after) in [
                ("", ""),
                ("x ", ""),
                ("", " y"),
                ("0123456789 ", " 0123456789"),
            ] {
                let text = format!("{before}{word}{after}");
                let start = before.len();
                let end = start + word.len();
                assert_eq!(
                    hash_at(text.as_bytes(), start, end),
                    hash(word.as_bytes()),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn the_calls_alone_answer_maybe_for_every_word() {
        let text = b"from x import can\nif can(user): other_word = 1\n";
        let calls = Words::calls_of(text);
        assert!(calls.may_call("can"));
        assert!(!calls.may_call("other_word"));
        assert!(calls.may_hold("absent_word"));
        assert!(!Words::of(text).may_hold("absent_word"));
        // The settings lists are answered for.
        assert!(!calls.may_hold("INSTALLED_APPS"));
        let lists = Words::calls_of(b"settings.INSTALLED_APPS += ['blog']\n");
        assert!(lists.may_hold("INSTALLED_APPS"));
        assert!(!lists.may_hold("AUTHENTICATION_BACKENDS"));
    }

    #[test]
    fn a_word_inside_a_longer_one_is_not_a_word() {
        // The scans look for whole words: `can_export_all` does not hold `can_export`.
        let words = Words::of(b"x = can_export_all(1)");
        assert!(!words.may_hold("can_export"));
        assert!(!words.may_call("can_export"));
        assert!(words.may_hold("can_export_all"));
        assert!(words.may_call("can_export_all"));
    }
}
