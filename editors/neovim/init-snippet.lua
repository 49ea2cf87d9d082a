-- Neovim >= 0.11: paste into init.lua (no plugin needed).
vim.lsp.config('djperm', {
  cmd = { 'djperm', 'server' },
  filetypes = { 'python', 'htmldjango', 'html' },
  root_markers = { 'manage.py', 'djperm.toml', 'pyproject.toml', '.git' },
  init_options = { ignore = {} }, -- same keys as [tool.djperm]
})
vim.lsp.enable('djperm')

-- Fix everything djperm can fix safely on save:
-- vim.api.nvim_create_autocmd('BufWritePre', { pattern = '*.py', callback = function()
--   vim.lsp.buf.code_action({ context = { only = { 'source.fixAll.djperm' } }, apply = true })
-- end })
