'use strict';
// The language server as the extension starts it: `<trig> lsp` over stdio
// (extension.js passes no other argument). Needs a built trig: set
// TRIG_SERVER to its path (e.g. target/debug/trig); skipped otherwise.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { pathToFileURL } = require('node:url');
const { REPO } = require('./grammar');

const SERVER = process.env.TRIG_SERVER;

/** A minimal LSP client: Content-Length framed JSON-RPC over a child's stdio. */
function connect(command, args, cwd) {
  const child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let buf = Buffer.alloc(0);
  let nextId = 1;
  const waiting = new Map();
  const notifications = [];
  const listeners = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const m = /Content-Length: (\d+)/i.exec(buf.slice(0, head).toString());
      const len = Number(m[1]);
      if (buf.length < head + 4 + len) return;
      const msg = JSON.parse(buf.slice(head + 4, head + 4 + len).toString('utf8'));
      buf = buf.slice(head + 4 + len);
      if (msg.id !== undefined && waiting.has(msg.id)) {
        waiting.get(msg.id)(msg);
        waiting.delete(msg.id);
      } else if (msg.method) {
        notifications.push(msg);
        listeners.splice(0).forEach((f) => f());
      }
    }
  });
  const send = (msg) => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...msg }), 'utf8');
    child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    child.stdin.write(body);
  };
  const timeout = (what) =>
    new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer to ${what} in 20 s; stderr:\n${stderr}`)), 20000).unref());
  return {
    child,
    request(method, params) {
      const id = nextId++;
      const answer = new Promise((resolve) => waiting.set(id, resolve));
      send({ id, method, params });
      return Promise.race([answer, timeout(method)]);
    },
    notify(method, params) {
      send({ method, params });
    },
    async notification(method, pred = () => true) {
      const find = () => notifications.find((n) => n.method === method && pred(n.params));
      const wait = (async () => {
        while (!find()) await new Promise((r) => listeners.push(r));
        return find();
      })();
      return Promise.race([wait, timeout(method)]);
    },
  };
}

test('trig lsp answers the requests the extension relies on', { skip: !SERVER && 'set TRIG_SERVER to a built trig to run' }, async () => {
  const file = path.join(REPO, 'examples', 'cart_abandonment.trig');
  const uri = pathToFileURL(file).href;
  // The example plus a rule on an event the schema does not know (the
  // server publishes diagnostics only for documents that have some).
  const example = fs.readFileSync(file, 'utf8');
  const text = `${example}\nwhen no_such.event then send sms "x"\n`;
  const brokenLine = example.split('\n').length;
  const lsp = connect(path.resolve(SERVER), ['lsp'], REPO);
  try {
    const init = await lsp.request('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(REPO).href,
      capabilities: {
        general: { positionEncodings: ['utf-16'] },
        textDocument: { semanticTokens: { requests: { full: true }, tokenTypes: [], tokenModifiers: [], formats: ['relative'] } },
      },
    });
    assert.ok(init.result, `initialize failed: ${JSON.stringify(init.error)}`);
    const caps = init.result.capabilities;
    for (const k of ['completionProvider', 'hoverProvider', 'definitionProvider', 'documentFormattingProvider', 'semanticTokensProvider']) {
      assert.ok(caps[k], `the server does not announce ${k}`);
    }
    lsp.notify('initialized', {});
    lsp.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'trig', version: 1, text } });
    const diags = await lsp.notification('textDocument/publishDiagnostics', (p) => p.uri === uri);
    const errors = diags.params.diagnostics.filter((d) => d.severity === 1);
    assert.ok(errors.length > 0, 'no error for the unknown event');
    assert.deepEqual(
      errors.map((d) => d.range.start.line),
      errors.map(() => brokenLine),
      `errors elsewhere than on the added rule: ${JSON.stringify(errors, null, 1)}`,
    );
    const fmt = await lsp.request('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
    assert.ok(!fmt.error, JSON.stringify(fmt.error));
    const sem = await lsp.request('textDocument/semanticTokens/full', { textDocument: { uri } });
    assert.ok(sem.result && Array.isArray(sem.result.data) && sem.result.data.length > 0, 'no semantic tokens');
    const hover = await lsp.request('textDocument/hover', { textDocument: { uri }, position: { line: 15, character: 16 } });
    assert.ok(!hover.error, JSON.stringify(hover.error));
    const shutdown = await lsp.request('shutdown', null);
    assert.ok(!shutdown.error);
    lsp.notify('exit', null);
    const code = await new Promise((resolve) => lsp.child.on('exit', resolve));
    assert.equal(code, 0, 'trig lsp did not exit cleanly');
  } finally {
    lsp.child.kill();
  }
});
