//! Phase timings for the benchmark's "where the time goes" (`DJPERM_TIMINGS=1`).

use std::sync::OnceLock;
use std::time::Instant;

/// Wall-clock and CPU timings of the phases, printed to stderr when `DJPERM_TIMINGS` is set.
pub struct Timer(Option<(Instant, f64)>);

/// The process's CPU time so far (user and system, all threads), in milliseconds.
#[cfg(unix)]
fn cpu_ms() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

#[cfg(not(unix))]
fn cpu_ms() -> f64 {
    0.0
}

impl Timer {
    pub fn start() -> Timer {
        static ON: OnceLock<bool> = OnceLock::new();
        let on = *ON.get_or_init(|| std::env::var_os("DJPERM_TIMINGS").is_some_and(|v| v != "0"));
        Timer(on.then(|| (Instant::now(), cpu_ms())))
    }

    /// The CPU milliseconds since the start (0 when timings are off).
    pub fn cpu_so_far(&self) -> f64 {
        self.0.map_or(0.0, |(_, cpu)| cpu_ms() - cpu)
    }

    pub fn report(&self, phase: &str, detail: std::fmt::Arguments<'_>) {
        if let Some((start, cpu_start)) = self.0 {
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let cpu = cpu_ms() - cpu_start;
            // The peak resident memory so far, where the system tells it (Linux).
            let peak = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
                    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
                    Some(format!("  [peak {:.0} MB]", kb / 1024.0))
                })
                .unwrap_or_default();
            eprintln!("djperm: timing: {phase:<12} {ms:>8.1} ms (cpu {cpu:>6.1})  {detail}{peak}");
        }
    }
}
