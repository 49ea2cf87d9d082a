//! Phase timings for the benchmark's "where the time goes" (`DJPERM_TIMINGS=1`).

use std::sync::OnceLock;
use std::time::Instant;

/// Wall-clock timings of the phases, printed to stderr when `DJPERM_TIMINGS` is set.
pub struct Timer(Option<Instant>);

impl Timer {
    pub fn start() -> Timer {
        static ON: OnceLock<bool> = OnceLock::new();
        let on = *ON.get_or_init(|| std::env::var_os("DJPERM_TIMINGS").is_some_and(|v| v != "0"));
        Timer(on.then(Instant::now))
    }

    pub fn report(&self, phase: &str, detail: std::fmt::Arguments<'_>) {
        if let Some(start) = self.0 {
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            // The peak resident memory so far, where the system tells it (Linux).
            let peak = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
                    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
                    Some(format!("  [peak {:.0} MB]", kb / 1024.0))
                })
                .unwrap_or_default();
            eprintln!("djperm: timing: {phase:<12} {ms:>8.1} ms  {detail}{peak}");
        }
    }
}
