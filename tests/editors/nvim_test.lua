-- Headless Neovim against `djperm server` (run by nvim_test.sh): open a view of the
-- rules_positive fixture, wait for djperm's diagnostics, list the code actions on the
-- `blog.can_publsh` typo, apply the quick fix, and check that the diagnostic goes away.
local project = os.getenv('DJPERM_PROJECT')
local bin = os.getenv('DJPERM_BIN')
local timeout = tonumber(os.getenv("DJPERM_NVIM_TIMEOUT") or "30000")

local function say(msg)
  io.stdout:write('nvim_test: ' .. msg .. '\n')
end

local function fail(msg)
  io.stderr:write('nvim_test: FAIL: ' .. msg .. '\n')
  vim.cmd('cquit')
end

local function check(cond, msg)
  if not cond then
    fail(msg)
  end
end

local ok, err = pcall(function()
  vim.opt.runtimepath:prepend(os.getenv('DJPERM_EDITORS') .. '/neovim')
  vim.cmd('filetype on')
  require('djperm').setup({ cmd = { bin, 'server' } })
  vim.cmd('edit ' .. project .. '/blog/views.py')
  local buf = vim.api.nvim_get_current_buf()
  check(vim.bo[buf].filetype == 'python', 'filetype is ' .. vim.bo[buf].filetype)

  local function djperm_diagnostics()
    local out = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.source == 'djperm' then
        table.insert(out, d)
      end
    end
    table.sort(out, function(a, b)
      return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
    end)
    return out
  end

  -- 1. Diagnostics arrive (EXPECTED.md: 9 in blog/views.py).
  check(vim.wait(timeout, function()
    return #djperm_diagnostics() >= 9
  end, 50), 'no diagnostics within ' .. timeout .. ' ms')
  local diags = djperm_diagnostics()
  local seen = {}
  for _, d in ipairs(diags) do
    table.insert(seen, string.format('%d:%d %s', d.lnum + 1, d.col + 1, d.code))
  end
  local got = table.concat(seen, ', ')
  local want = '19:34 DJP001, 26:34 DJP001, 31:22 DJP001, 38:27 DJP001, 46:30 DJP002, '
    .. '54:45 DJP002, 67:8 DJP006, 77:51 DJP009, 82:51 DJP009'
  check(got == want, 'diagnostics: ' .. got)
  say('diagnostics ok: ' .. got)

  -- 2. Code actions on the typo (line 46).
  local get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients
  local client = get_clients({ name = 'djperm' })[1]
  check(client and client.name == 'djperm', 'djperm client is attached')
  local typo
  for _, d in ipairs(diags) do
    if d.lnum == 45 then
      typo = d
    end
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = {
      start = { line = typo.lnum, character = typo.col },
      ['end'] = { line = typo.end_lnum, character = typo.end_col },
    },
    context = { diagnostics = {} },
  }
  -- The LSP diagnostics of that line, as Neovim passes them back (with `data`).
  if vim.lsp.diagnostic.get_line_diagnostics and vim.fn.has('nvim-0.10') == 0 then
    params.context.diagnostics = vim.lsp.diagnostic.get_line_diagnostics(buf, typo.lnum)
  else
    for _, d in ipairs(vim.diagnostic.get(buf, { lnum = typo.lnum })) do
      table.insert(params.context.diagnostics, d.user_data.lsp)
    end
  end
  local response
  if vim.fn.has('nvim-0.11') == 1 then
    response = client:request_sync('textDocument/codeAction', params, timeout, buf)
  else
    response = client.request_sync('textDocument/codeAction', params, timeout, buf)
  end
  check(response and response.result, 'codeAction: ' .. vim.inspect(response))
  local titles = {}
  local fix
  for _, action in ipairs(response.result) do
    table.insert(titles, action.title)
    if action.title:find('^Replace with `blog.can_publish`') then
      fix = action
    end
  end
  say('code actions: ' .. table.concat(titles, ' | '))
  check(fix ~= nil, 'no quick fix among: ' .. table.concat(titles, ' | '))
  check(vim.tbl_contains(titles, 'Disable DJP002 for this line'), 'no noqa action')
  check(fix.title:find('changes who is granted access', 1, true), 'unsafe fix says so')

  -- 3. Apply it: the buffer changes, Neovim syncs it, the diagnostic goes away.
  vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding or 'utf-16')
  local line = vim.api.nvim_buf_get_lines(buf, 45, 46, false)[1]
  check(line:find('has_perm("blog.can_publish")', 1, true), 'line 46 after the fix: ' .. line)
  check(vim.wait(timeout, function()
    local d = djperm_diagnostics()
    return #d == 8
  end, 50), 'the fixed diagnostic did not go away: ' .. #djperm_diagnostics() .. ' left')
  for _, d in ipairs(djperm_diagnostics()) do
    check(d.lnum ~= 45, 'a diagnostic is left on the fixed line')
  end
  say('quick fix applied, 8 diagnostics left')
end)

if not ok then
  fail(tostring(err))
end
say('ok')
vim.cmd('qall!')
