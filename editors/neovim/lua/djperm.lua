-- djperm language server for Neovim 0.7 – 0.10 (no `vim.lsp.config`).
--
--   require('djperm').setup({ cmd = { 'djperm', 'server' }, init_options = { ignore = { 'DJP005' } } })
--
-- Starts (or reuses) one client per project root for Python files and Django templates.
local M = {}

local defaults = {
  cmd = { 'djperm', 'server' },
  filetypes = { 'python', 'htmldjango', 'html' },
  root_markers = { 'manage.py', 'djperm.toml', 'pyproject.toml', '.git' },
  init_options = {},
  settings = { djperm = {} },
}

M.config = vim.deepcopy(defaults)

--- The nearest directory above `path` holding one of the markers (else the file's directory).
function M.root_dir(path)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  while dir and dir ~= '' do
    for _, marker in ipairs(M.config.root_markers) do
      if vim.loop.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      break
    end
    dir = parent
  end
  return vim.fn.fnamemodify(path, ':p:h')
end

local clients = {} -- root → client id (for Neovim 0.7, which has no vim.lsp.start)

--- Attach djperm to a buffer; returns the client id.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' then
    return nil
  end
  local root = M.root_dir(name)
  local config = {
    name = 'djperm',
    cmd = M.config.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = M.config.init_options,
    settings = M.config.settings,
  }
  if vim.lsp.start then -- Neovim >= 0.8
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = clients[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(config)
    clients[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  local group = vim.api.nvim_create_augroup('djperm', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
end

return M
