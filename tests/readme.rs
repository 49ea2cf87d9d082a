//! README.md says what djperm does; these tests hold it to that: every sample output is what the
//! command prints, every `djperm …` command names options that exist, and every option the text
//! mentions is one of djperm's.
//!
//! Sample outputs are ```text blocks. A block whose first line is `$ djperm …` is that command,
//! run in a copy of `example/`; a block right after a ```sh block is the output of the sh block's
//! first `cargo run --release -- …` command, run from the repository root. A line `…` in a sample
//! stands for any number of lines; the other lines must appear in that order, consecutively, in
//! what the command printed (the sample may start and end anywhere in it).

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

struct Block {
    info: String,
    lines: Vec<String>,
    /// 1-based line of the opening fence.
    at: usize,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_string(),
                    lines: Vec::new(),
                    at: i + 1,
                })
            }
            (Some(_), Some(_)) => out.push(open.take().unwrap()),
            (Some(b), None) => b.lines.push(line.to_string()),
            (None, None) => {}
        }
    }
    out
}

/// The text outside fenced blocks.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("```") {
            inside = !inside;
        } else if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn inline_code(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Split into words the way a shell would for these simple samples (no quotes with spaces).
fn words(command: &str) -> Vec<String> {
    command
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
        .collect()
}

fn djperm() -> Command {
    Command::cargo_bin("djperm").unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Does `sample` (with `…` gaps) appear in `output`?
fn matches(sample: &[String], output: &str) -> Result<(), String> {
    let out: Vec<&str> = output.lines().map(str::trim_end).collect();
    let segments: Vec<Vec<&str>> = sample
        .split(|l| l.trim() == "…")
        .map(|seg| seg.iter().map(|l| l.trim_end()).collect::<Vec<_>>())
        .filter(|seg| !seg.is_empty())
        .collect();
    let mut from = 0;
    for seg in &segments {
        let found = (from..=out.len().saturating_sub(seg.len()))
            .find(|&i| out.get(i..i + seg.len()) == Some(&seg[..]));
        match found {
            Some(i) => from = i + seg.len(),
            None => {
                return Err(format!(
                "these lines are not in the output (in this order):\n{}\n--- output ---\n{output}",
                seg.join("\n")
            ))
            }
        }
    }
    Ok(())
}

fn combined(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn every_sample_output_is_what_the_command_prints() {
    let text = readme();
    let all = blocks(&text);
    let mut checked = 0;
    for (i, block) in all.iter().enumerate() {
        if block.info != "text" {
            continue;
        }
        let (out, sample) = if let Some(cmd) = block
            .lines
            .first()
            .and_then(|l| l.strip_prefix("$ djperm "))
        {
            let dir = tempfile::tempdir().unwrap();
            let example = dir.path().join("example");
            copy_dir(&repo().join("example"), &example);
            let out = djperm()
                .current_dir(&example)
                .args(words(cmd))
                .output()
                .unwrap();
            (out, &block.lines[1..])
        } else {
            let Some(cmd) = i
                .checked_sub(1)
                .map(|p| &all[p])
                .filter(|p| p.info == "sh")
                .and_then(|p| {
                    p.lines
                        .iter()
                        .find_map(|l| l.strip_prefix("cargo run --release -- "))
                })
            else {
                panic!(
                    "README.md:{}: a text block that is neither `$ djperm …` nor the output of the sh block before it",
                    block.at
                );
            };
            let out = djperm()
                .current_dir(repo())
                .args(words(cmd))
                .output()
                .unwrap();
            (out, &block.lines[..])
        };
        if let Err(e) = matches(sample, &combined(&out)) {
            panic!("README.md:{}: {e}", block.at);
        }
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} sample outputs found");
}

#[test]
fn the_first_command_exits_1_on_the_example_and_the_readme_says_so() {
    let out = djperm()
        .current_dir(repo())
        .args(["check", "example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", combined(&out));
    let first_screen: String = readme().lines().take(40).collect::<Vec<_>>().join("\n");
    assert!(
        first_screen.contains("exits 1"),
        "the README's first screen should say why the first command exits 1"
    );
    assert!(
        first_screen.contains("first build"),
        "the README's first screen should say how long the first build takes"
    );
}

/// `djperm SUB --help` for every subcommand, by name.
fn helps() -> Vec<(String, String)> {
    ["check", "permissions", "audit", "rule", "server", "explain"]
        .iter()
        .filter_map(|sub| {
            let out = djperm().args([sub, "--help"]).output().unwrap();
            out.status.success().then(|| {
                (
                    sub.to_string(),
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                )
            })
        })
        .collect()
}

fn options_in(help: &str) -> Vec<String> {
    help.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']' || c == '=')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_string()
        })
        .collect()
}

fn flags(words: &[String]) -> Vec<String> {
    words
        .iter()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.split('=').next().unwrap().to_string())
        .collect()
}

#[test]
fn every_djperm_command_and_option_in_the_readme_exists() {
    let text = readme();
    let helps = helps();
    let every: Vec<String> = helps.iter().flat_map(|(_, h)| options_in(h)).collect();
    let mut problems = Vec::new();
    let mut commands: Vec<String> = inline_code(&prose(&text));
    for b in blocks(&text) {
        if matches!(b.info.as_str(), "sh" | "text" | "yaml") {
            commands.extend(b.lines.iter().map(|l| {
                l.trim()
                    .trim_start_matches("$ ")
                    .trim_start_matches("- run: ")
                    .trim_start_matches("run: ")
                    .trim_start_matches("- ")
                    .to_string()
            }));
        }
    }
    let mut seen = 0;
    for code in &commands {
        let code = code.split('#').next().unwrap();
        let w = words(code);
        if w.first().map(String::as_str) == Some("djperm") {
            let Some(sub) = w.get(1) else { continue };
            if sub.starts_with('-') {
                continue;
            }
            let Some((_, help)) = helps.iter().find(|(s, _)| s == sub) else {
                problems.push(format!("`{code}`: no subcommand `{sub}`"));
                continue;
            };
            let known = options_in(help);
            for f in flags(&w) {
                seen += 1;
                if !known.contains(&f) {
                    problems.push(format!("`{code}`: `djperm {sub}` has no option {f}"));
                }
            }
        } else if w.len() <= 2
            && w.first()
                .is_some_and(|f| f.starts_with("--") && !f.starts_with("---"))
        {
            // (`--- path`: a diff header in a sample output, not an option.)
            // A bare option in the prose (`--fix`, `--color auto|always|never`).
            for f in flags(&w[..1]) {
                seen += 1;
                if !every.contains(&f) {
                    problems.push(format!("`{code}`: no djperm command has the option {f}"));
                }
            }
        }
    }
    assert!(seen > 20, "only {seen} options found in README.md");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_matcher_rejects_what_is_not_printed() {
    let s = |v: &[&str]| v.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches(&s(&["b", "c"]), "a\nb\nc\nd\n").is_ok());
    assert!(matches(&s(&["a", "…", "d"]), "a\nb\nc\nd\n").is_ok());
    assert!(matches(&s(&["a", "c"]), "a\nb\nc\n").is_err());
    assert!(matches(&s(&["c", "…", "a"]), "a\nb\nc\n").is_err());
}
