//! `djperm rule`: a rule's documentation, or the list of rules.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use djperm::rules;

use super::ListFormat;

#[derive(clap::Args)]
pub struct RuleArgs {
    /// A rule code, e.g. `DJP002`.
    code: Option<String>,
    /// List every rule: code, name, status (stable or preview), whether it has a fix, summary.
    #[arg(long)]
    all: bool,
    /// `text` or `json`.
    #[arg(long, value_enum, default_value = "text")]
    output_format: ListFormat,
}

#[derive(Serialize)]
struct RuleRow {
    code: &'static str,
    name: &'static str,
    summary: &'static str,
    fix: &'static str,
    preview: bool,
    explanation: &'static str,
}

pub fn run(args: RuleArgs) -> Result<ExitCode, String> {
    let selected: Vec<&rules::Rule> = if args.all {
        rules::RULES.iter().collect()
    } else {
        let code = args
            .code
            .ok_or("give a rule code (e.g. `djperm rule DJP002`) or `--all`")?;
        vec![rules::rule(&code).ok_or_else(|| format!("unknown rule `{code}`"))?]
    };
    let text = match args.output_format {
        ListFormat::Json => {
            let rows: Vec<RuleRow> = selected
                .iter()
                .map(|r| RuleRow {
                    code: r.code,
                    name: r.name,
                    summary: r.summary,
                    fix: r.fix.as_str(),
                    preview: r.preview,
                    explanation: r.doc,
                })
                .collect();
            let v = if args.all {
                serde_json::to_string_pretty(&rows)
            } else {
                serde_json::to_string_pretty(&rows[0])
            };
            v.map_err(|e| e.to_string())? + "\n"
        }
        ListFormat::Text if args.all => {
            let mut s = format!(
                "{:<6} {:<36} {:<7} {:<11} {}\n",
                "CODE", "NAME", "STATUS", "FIX", "SUMMARY"
            );
            for r in &selected {
                s.push_str(&format!(
                    "{:<6} {:<36} {:<7} {:<11} {}\n",
                    r.code,
                    r.name,
                    if r.preview { "preview" } else { "stable" },
                    r.fix.as_str(),
                    r.summary
                ));
            }
            s
        }
        ListFormat::Text => selected[0].doc.to_string(),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
