//! Preview rules on the fixture projects. `tests/rules.rs` snapshots every project with the
//! default selection, where preview rules are off; here they are on.

mod common;

use djperm::config::Config;
use djperm::output;

fn preview() -> Config {
    Config {
        preview: true,
        ..Default::default()
    }
}

/// Every preview rule's positive and negative neighbours (see its EXPECTED.md), as users see them.
#[test]
fn rules_preview_full_output() {
    let dir = common::fixtures().join("rules_preview");
    let analysis = common::analyze_with(&dir, &preview());
    let text = output::full(&analysis.ws, &analysis.diagnostics);
    common::insta_settings().bind(|| insta::assert_snapshot!("preview__rules_preview", text));
    // Only preview rules speak here: the default selection finds nothing (see rules.rs).
    for d in &analysis.diagnostics {
        assert!(
            djperm::rules::rule(d.code).is_some_and(|r| r.preview),
            "stable rule {} on rules_preview: {}",
            d.code,
            d.message
        );
    }
    for rule in djperm::rules::RULES.iter().filter(|r| r.preview) {
        assert!(
            analysis.diagnostics.iter().any(|d| d.code == rule.code),
            "rules_preview has no positive case of {}",
            rule.code
        );
    }
    // One diagnostic on each `BUG DJPnnn` line, none elsewhere (the `OK` neighbours).
    let problems = common::check_markers(&dir);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The precision project stays silent with preview rules on, too.
#[test]
fn preview_rules_are_quiet_on_the_precision_project() {
    let dir = common::fixtures().join("rules_negative");
    let analysis = common::analyze_with(&dir, &preview());
    let text = output::concise(&analysis.ws, &analysis.diagnostics);
    assert!(analysis.diagnostics.is_empty(), "false positives:\n{text}");
}
