// Activation against a stubbed `vscode` API and a stubbed language client: the extension must
// start `<djperm.path> server` with the right document selector and settings, register its
// restart command, and stop the client on deactivate. Runs with `node --test` (no VS Code).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import Module = require('module');

type Settings = Record<string, unknown>;
const settings: Settings = {
  path: '/opt/bin/djperm',
  args: ['server'],
  select: null,
  ignore: ['DJP005'],
  extraPermissions: ['extras.run_script'],
};
const commands = new Map<string, () => unknown>();
const clients: FakeClient[] = [];

class FakeClient {
  started = 0;
  stopped = 0;
  constructor(
    public id: string,
    public name: string,
    public serverOptions: any,
    public clientOptions: any,
  ) {
    clients.push(this);
  }
  async start() {
    this.started++;
  }
  async stop() {
    this.stopped++;
  }
}

const vscodeStub = {
  workspace: {
    getConfiguration: (section: string) => {
      assert.equal(section, 'djperm');
      return { get: (key: string) => settings[key] };
    },
  },
  commands: {
    registerCommand: (name: string, fn: () => unknown) => {
      commands.set(name, fn);
      return { dispose() {} };
    },
  },
};

// Route `require('vscode')` and the language client to the stubs.
const load = (Module as any)._load;
(Module as any)._load = function (request: string, ...rest: unknown[]) {
  if (request === 'vscode') {
    return vscodeStub;
  }
  if (request === 'vscode-languageclient/node') {
    return { LanguageClient: FakeClient };
  }
  return load.call(this, request, ...rest);
};

test('activates, starts the server with the settings, restarts, deactivates', async () => {
  const extension = require('../extension');
  const context = { subscriptions: [] as unknown[] };
  await extension.activate(context);

  assert.equal(clients.length, 1);
  const client = clients[0];
  assert.equal(client.started, 1);
  assert.deepEqual(client.serverOptions.run, { command: '/opt/bin/djperm', args: ['server'] });
  assert.deepEqual(
    client.clientOptions.documentSelector.map((s: any) => s.language),
    ['python', 'django-html', 'html'],
  );
  assert.deepEqual(client.clientOptions.initializationOptions, {
    ignore: ['DJP005'],
    extraPermissions: ['extras.run_script'],
  });
  assert.deepEqual(client.clientOptions.synchronize, { configurationSection: 'djperm' });
  assert.equal(context.subscriptions.length, 1);

  await commands.get('djperm.restart')!();
  assert.equal(client.stopped, 1);
  assert.equal(clients.length, 2);
  assert.equal(clients[1].started, 1);

  await extension.deactivate();
  assert.equal(clients[1].stopped, 1);
});

test('the manifest declares every setting the extension reads', () => {
  const manifest = require('../../package.json');
  const declared = Object.keys(manifest.contributes.configuration.properties);
  for (const key of ['path', 'args', 'select', 'extendSelect', 'ignore', 'extraPermissions', 'customActions', 'settings', 'preview']) {
    assert.ok(declared.includes(`djperm.${key}`), key);
  }
  assert.equal(manifest.main, './dist/extension.js');
  assert.ok(manifest.activationEvents.includes('onLanguage:python'));
});

test('the packaged bundle holds the language client and needs only `vscode`', async () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const bundle = path.join(__dirname, '..', '..', 'dist', 'extension.js');
  assert.ok(fs.existsSync(bundle), 'npm run bundle writes dist/extension.js');
  const text: string = fs.readFileSync(bundle, 'utf8');
  // Bundled: no require of the client library is left for VS Code to resolve at run time.
  assert.ok(!text.includes('require("vscode-languageclient'), 'the client is bundled in');
  const ignore: string = fs.readFileSync(path.join(__dirname, '..', '..', '.vscodeignore'), 'utf8');
  assert.match(ignore, /!dist\/extension\.js/);
  // It parses, and what it still requires is `vscode` (given by the editor) or Node's own modules.
  new (require('node:vm').Script)(text);
  const builtins: string[] = require('node:module').builtinModules;
  const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  assert.ok(required.includes('vscode'));
  for (const name of required) {
    assert.ok(name === 'vscode' || builtins.includes(name.replace(/^node:/, '')), name);
  }
});
