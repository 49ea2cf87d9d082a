-- djperm language server for Neovim >= 0.11 (`vim.lsp.config` / `vim.lsp.enable`), in the format
-- of nvim-lspconfig's `lsp/` configs. Put this directory on 'runtimepath' (or copy this file to
-- ~/.config/nvim/lsp/djperm.lua) and call `vim.lsp.enable('djperm')`.
---@type vim.lsp.Config
return {
  cmd = { 'djperm', 'server' },
  filetypes = { 'python', 'htmldjango', 'html' },
  root_markers = { 'manage.py', 'djperm.toml', 'pyproject.toml', '.git' },
  -- Same keys as [tool.djperm]; they extend the project's config file (`select` replaces).
  init_options = {
    -- ignore = { 'DJP005' },
    -- ["extra-permissions"] = { 'extras.run_script' },
  },
  settings = {
    djperm = {},
  },
}
