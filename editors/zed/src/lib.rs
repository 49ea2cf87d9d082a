//! Zed extension skeleton: runs `djperm server` (found on the worktree's PATH, or at
//! `lsp.djperm.binary.path` in Zed's settings) and passes `lsp.djperm.initialization_options`.

use zed_extension_api::{self as zed, settings::LspSettings, LanguageServerId, Result};

struct Djperm;

impl zed::Extension for Djperm {
    fn new() -> Self {
        Djperm
    }

    fn language_server_command(
        &mut self,
        _id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let settings = LspSettings::for_worktree("djperm", worktree).ok();
        let binary = settings.as_ref().and_then(|s| s.binary.as_ref());
        let command = binary
            .and_then(|b| b.path.clone())
            .or_else(|| worktree.which("djperm"))
            .ok_or("djperm is not on PATH: install it (cargo install --path . in the djperm repository) or set lsp.djperm.binary.path")?;
        let args = binary
            .and_then(|b| b.arguments.clone())
            .unwrap_or_else(|| vec!["server".into()]);
        Ok(zed::Command {
            command,
            args,
            env: worktree.shell_env(),
        })
    }

    fn language_server_initialization_options(
        &mut self,
        _id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<zed::serde_json::Value>> {
        Ok(LspSettings::for_worktree("djperm", worktree)
            .ok()
            .and_then(|s| s.initialization_options))
    }
}

zed::register_extension!(Djperm);
