'use strict';
// Shared helpers for the tests (not a test itself): loads the TextMate
// grammar with the engine VS Code uses (vscode-textmate + vscode-oniguruma)
// and tokenizes text line by line.

const fs = require('node:fs');
const path = require('node:path');

const EXT = path.resolve(__dirname, '..');
const REPO = path.resolve(EXT, '..', '..');
const GRAMMAR = path.join(EXT, 'syntaxes', 'trig.tmLanguage.json');

function load(name) {
  try {
    return require(name);
  } catch (e) {
    throw new Error(
      `cannot load ${name}: install the test dependencies first ` +
        `(npm ci --prefix ${path.relative(process.cwd(), EXT) || '.'})\n${e.message}`,
    );
  }
}

const textmate = load('vscode-textmate');
const oniguruma = load('vscode-oniguruma');

let registryPromise;

function registry() {
  if (!registryPromise) {
    const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    const onigLib = oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)).then(() => ({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }));
    registryPromise = Promise.resolve(
      new textmate.Registry({
        onigLib,
        loadGrammar: async (scopeName) => {
          if (scopeName !== 'source.trig') return null;
          return textmate.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR);
        },
      }),
    );
  }
  return registryPromise;
}

async function grammar() {
  const g = await (await registry()).loadGrammar('source.trig');
  if (!g) throw new Error(`cannot load ${GRAMMAR}`);
  return g;
}

/**
 * Tokens of `text`: one array per line of { line, start, end, text, scopes }
 * (line and start are 0-based; scopes outermost first, `source.trig` first).
 */
async function tokenize(text) {
  const g = await grammar();
  let stack = textmate.INITIAL;
  const lines = text.split(/\r?\n/);
  return lines.map((lineText, line) => {
    const r = g.tokenizeLine(lineText, stack);
    stack = r.ruleStack;
    return r.tokens.map((t) => ({
      line,
      start: t.startIndex,
      end: Math.min(t.endIndex, lineText.length),
      text: lineText.slice(t.startIndex, t.endIndex),
      scopes: t.scopes,
    }));
  });
}

/** The token of `lineTokens` covering column `col`. */
function tokenAt(lineTokens, col) {
  return lineTokens.find((t) => t.start <= col && col < t.end);
}

/** `a.b.c` matches the scope `a.b.c` and `a.b.c.trig`, `a.b.c.d.trig`. */
function hasScope(scopes, want) {
  return scopes.some((s) => s === want || s.startsWith(want + '.'));
}

module.exports = { EXT, REPO, GRAMMAR, tokenize, tokenAt, hasScope };

if (require.main === module) {
  // Run as a file of its own by `node --test test/`: the grammar loads.
  const test = require('node:test');
  const assert = require('node:assert');
  test('the grammar loads and tokenizes', async () => {
    const [[when]] = await tokenize('when a then send sms "x"');
    assert.equal(when.text, 'when');
    assert.deepEqual(when.scopes, ['source.trig', 'keyword.control.trig']);
  });
}
