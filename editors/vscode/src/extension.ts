// The djperm VS Code extension: starts `djperm server` for Python files and Django templates
// and passes the `djperm.*` settings as initializationOptions (and on every change).
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

/** The `djperm.*` settings the server reads (same keys as `[tool.djperm]`, camelCase). */
export function serverSettings(config: vscode.WorkspaceConfiguration): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['select', 'extendSelect', 'ignore', 'extraPermissions', 'customActions', 'settings', 'preview']) {
    const value = config.get(key);
    if (value !== undefined && value !== null) {
      out[key] = value;
    }
  }
  return out;
}

export function createClient(): LanguageClient {
  const config = vscode.workspace.getConfiguration('djperm');
  const command = config.get<string>('path') || 'djperm';
  const args = config.get<string[]>('args') ?? ['server'];
  const serverOptions: ServerOptions = {
    run: { command, args },
    debug: { command, args },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'file', language: 'django-html' },
      { scheme: 'file', language: 'html' },
    ],
    initializationOptions: serverSettings(config),
    synchronize: { configurationSection: 'djperm' },
  };
  return new LanguageClient('djperm', 'djperm', serverOptions, clientOptions);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  client = createClient();
  context.subscriptions.push(
    vscode.commands.registerCommand('djperm.restart', async () => {
      if (client) {
        await client.stop();
      }
      client = createClient();
      await client.start();
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
}
