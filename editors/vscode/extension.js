'use strict';
// The trig extension: highlighting and snippets are declarative (see
// package.json); this file starts the language server, `trig lsp`, over
// stdio for trig documents, and restarts it when its settings change.

const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');
const { LanguageClient, RevealOutputChannelOn } = require('vscode-languageclient/node');

const SECTION = 'trig';

/** @type {LanguageClient | undefined} */
let client;
/** @type {vscode.OutputChannel | undefined} */
let output;
/** Serializes start/stop so that quick setting changes do not overlap. */
let pending = Promise.resolve();

function activate(context) {
  output = vscode.window.createOutputChannel('trig');
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand('trig.restartServer', () => queue(restart)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.server`)) queue(restart);
    }),
  );
  return queue(start);
}

function deactivate() {
  return queue(stop);
}

function queue(step) {
  pending = pending.then(step, step);
  return pending;
}

async function restart() {
  await stop();
  await start();
}

async function stop() {
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop();
    } catch (e) {
      log(`stopping the language server: ${message(e)}`);
    }
  }
}

async function start() {
  const config = vscode.workspace.getConfiguration(SECTION);
  if (!config.get('server.enable', true)) {
    log('trig.server.enable is false: the language server is not started.');
    return;
  }
  const setting = (config.get('server.path') || 'trig').trim() || 'trig';
  const extraArgs = (config.get('server.extraArgs') || []).filter((a) => typeof a === 'string');
  const command = findExecutable(setting);
  if (!command) {
    notFound(setting);
    return;
  }
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const serverOptions = {
    command,
    args: ['lsp', ...extraArgs],
    options: { cwd: folder ? folder.uri.fsPath : undefined, env: process.env },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'trig' },
      { scheme: 'untitled', language: 'trig' },
    ],
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };
  const c = new LanguageClient(SECTION, 'trig language server', serverOptions, clientOptions);
  log(`starting ${command} ${serverOptions.args.join(' ')}`);
  try {
    await c.start();
    client = c;
  } catch (e) {
    log(`the language server did not start: ${message(e)}`);
    vscode.window
      .showErrorMessage(
        `trig: the language server (${command} lsp) did not start: ${message(e)}. ` +
          'Install trig and put it on PATH or set trig.server.path.',
        'Open Settings',
        'Show Log',
      )
      .then((choice) => act(choice));
    try {
      await c.dispose();
    } catch (_) {
      // already stopped
    }
  }
}

function notFound(setting) {
  log(`cannot find the trig executable "${setting}".`);
  vscode.window
    .showErrorMessage(
      `trig: cannot start the language server: "${setting}" was not found. ` +
        'Install trig and put it on PATH or set trig.server.path. ' +
        '(Highlighting and snippets work without it.)',
      'Open Settings',
    )
    .then((choice) => act(choice));
}

function act(choice) {
  if (choice === 'Open Settings') {
    vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server.path`);
  } else if (choice === 'Show Log' && output) {
    output.show(true);
  }
}

/**
 * The executable for the `trig.server.path` setting: a bare name is looked
 * up on PATH; a path (absolute, `~/…`, or relative to the first workspace
 * folder) must be a file. Returns undefined when there is none.
 */
function findExecutable(setting) {
  const windows = process.platform === 'win32';
  const exts = windows ? (process.env.PATHEXT || '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : [];
  const candidates = (base) => (windows && !path.extname(base) ? [base, ...exts.map((e) => base + e)] : [base]);
  const isFile = (p) => {
    try {
      if (!fs.statSync(p).isFile()) return false;
      if (!windows) fs.accessSync(p, fs.constants.X_OK);
      return true;
    } catch (_) {
      return false;
    }
  };
  let p = setting;
  if (p === '~' || p.startsWith('~/')) p = path.join(require('node:os').homedir(), p.slice(1));
  if (p.includes('/') || (windows && p.includes('\\'))) {
    if (!path.isAbsolute(p)) {
      const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
      p = path.resolve(folder ? folder.uri.fsPath : process.cwd(), p);
    }
    return candidates(p).find(isFile);
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const found = candidates(path.join(dir, p)).find(isFile);
    if (found) return found;
  }
  return undefined;
}

function log(line) {
  if (output) output.appendLine(`[trig] ${line}`);
}

function message(e) {
  return e && e.message ? e.message : String(e);
}

module.exports = { activate, deactivate, findExecutable };
