//! What `check` decided before judging anything, said on stderr: a one-line header per project
//! in the `full` output (root, settings module, Django version, labels left unanalysed), and
//! with `--verbose` each unanalysed label with its reason (`djperm permissions` always lists
//! them).

use std::path::Path;

use djperm::Analysis;

pub fn render(root: &Path, analysis: &Analysis, verbose: bool) -> String {
    let mut out = String::new();
    let name = root.file_name().map_or_else(
        || root.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    for project in &analysis.index.projects {
        let mut parts = vec![if project.root.is_empty() {
            format!("project {name}/")
        } else {
            format!("project {name}/{}/", project.root)
        }];
        parts.push(match &project.settings.module {
            Some(m) => format!("settings {m}"),
            None => "no settings (apps inferred from the tree)".to_string(),
        });
        let (major, minor) = project.target_django;
        parts.push(match project.django_from.as_str() {
            "default" => format!("Django {major}.{minor} (assumed)"),
            from => format!("Django {major}.{minor} (from {from})"),
        });
        if let Some(env) = &analysis.ws.snapshot.env_dir {
            parts.push(format!("environment {}", env.display()));
        }
        match project.opaque_labels.len() {
            0 => {}
            1 if verbose => parts.push("1 label not analysed".to_string()),
            n if verbose => parts.push(format!("{n} labels not analysed")),
            1 => parts.push("1 label not analysed (see --verbose)".to_string()),
            n => parts.push(format!("{n} labels not analysed (see --verbose)")),
        }
        out.push_str(&format!("djperm: {}\n", parts.join(" · ")));
        if verbose {
            out.push_str(&not_analysed_text(project));
        }
    }
    out
}

/// Each label of `project` djperm leaves unanalysed, with why, on stderr.
pub fn not_analysed(project: &djperm::index::Project) {
    eprint!("{}", not_analysed_text(project));
}

fn not_analysed_text(project: &djperm::index::Project) -> String {
    let mut opaque: Vec<&String> = project.opaque_labels.iter().collect();
    opaque.sort();
    opaque
        .into_iter()
        .map(|label| {
            format!(
                "djperm: not analysed: `{label}`: {}\n",
                project.opaque_reason(label)
            )
        })
        .collect()
}
