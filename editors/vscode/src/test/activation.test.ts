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
  assert.equal(manifest.main, './out/extension.js');
  assert.ok(manifest.activationEvents.includes('onLanguage:python'));
});
