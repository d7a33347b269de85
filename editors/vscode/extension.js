// The extension's one piece of code: starts `pdagc lsp` (the pdagc language server) for .pdag
// documents, so that the compiler's diagnostics, hovers, definitions and completions reach the
// editor. The grammar, snippets and language configuration need no code.
'use strict';
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('pdag').get('server.path') || 'pdagc';
  client = new LanguageClient(
    'pdag',
    'pdagc language server',
    { command, args: ['lsp'] },
    { documentSelector: [{ scheme: 'file', language: 'pdag' }, { scheme: 'untitled', language: 'pdag' }] });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
