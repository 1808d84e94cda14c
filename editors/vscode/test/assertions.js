'use strict';
// Shared helper for the tests: runs syntax-test files in the format of
// vscode-tmgrammar-test (https://github.com/PanAeon/vscode-tmgrammar-test):
//
//   # SYNTAX TEST "source.trig" "what the file is about"
//   when cart.abandoned for 2h
//   # <---- keyword.control.trig
//   #    ^^^^^^^^^^^^^^ entity.name.type.event.trig
//   #                   ^^^ keyword.control.trig - string
//
// An assertion line starts with `#`, then `^` under the columns it checks
// (several groups allowed) or `<-`/`<---` for the first column(s) of the
// line (`<~~--`: skip two, check two). The scopes after it must all be on
// each of those columns, in that order (exact names); scopes after ` - `
// must not be (a name also excludes its sub-scopes: `- string` excludes
// `string.quoted.double.trig`). Assertions refer to the last line that is
// not an assertion line.

const fs = require('node:fs');
const path = require('node:path');
const { tokenize, tokenAt } = require('./grammar');

const ASSERTION = /^(\s*#\s*)((?:\^+\s*)+|<~*-+\s*)(.*)$/;

function parse(text) {
  const lines = text.split(/\r?\n/);
  const header = /^#\s*SYNTAX TEST\s+"([^"]+)"(?:\s+"([^"]*)")?/.exec(lines[0] || '');
  const assertions = [];
  let source = -1;
  lines.forEach((line, n) => {
    const m = n > 0 && ASSERTION.exec(line);
    if (!m) {
      source = n;
      return;
    }
    const [, lead, markers, rest] = m;
    const cols = [];
    if (markers.startsWith('<')) {
      const skip = (markers.match(/~/g) || []).length;
      const count = (markers.match(/-/g) || []).length;
      for (let c = skip; c < skip + count; c++) cols.push(c);
    } else {
      for (let k = 0; k < markers.length; k++) if (markers[k] === '^') cols.push(lead.length + k);
    }
    const [pos, neg = ''] = rest.split(/\s+-\s+|^-\s+/);
    assertions.push({
      line: n,
      sourceLine: source,
      cols,
      want: pos.trim().split(/\s+/).filter(Boolean),
      notWant: neg.trim().split(/\s+/).filter(Boolean),
      text: line,
    });
  });
  return { lines, scope: header && header[1], description: header && header[2], assertions };
}

function inOrder(actual, want) {
  let k = 0;
  for (const s of actual) if (k < want.length && s === want[k]) k++;
  return k === want.length;
}

/**
 * Checks one syntax-test file; returns { checks, failures } where a check
 * is one (assertion line, token) pair and failures are readable messages.
 */
async function runFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  const parsed = parse(text);
  const rel = path.relative(process.cwd(), file) || file;
  const failures = [];
  if (parsed.scope !== 'source.trig') {
    failures.push(`${rel}:1: first line must be # SYNTAX TEST "source.trig" "…"`);
  }
  if (parsed.assertions.length === 0) failures.push(`${rel}: no assertions`);
  const tokens = await tokenize(text);
  let checks = 0;
  for (const a of parsed.assertions) {
    const where = `${rel}:${a.line + 1}`;
    if (a.sourceLine < 1) {
      failures.push(`${where}: assertion before any source line`);
      continue;
    }
    if (a.cols.length === 0 || (a.want.length === 0 && a.notWant.length === 0)) {
      failures.push(`${where}: assertion line without columns or scopes: ${a.text}`);
      continue;
    }
    const src = parsed.lines[a.sourceLine];
    const seen = new Set();
    for (const col of a.cols) {
      const tok = tokenAt(tokens[a.sourceLine], col);
      const loc = `${rel}:${a.sourceLine + 1}:${col + 1}`;
      if (!tok || col >= src.length) {
        failures.push(`${loc}: column ${col + 1} is past the end of the line (${where})\n    ${src}`);
        continue;
      }
      if (seen.has(tok)) continue;
      seen.add(tok);
      checks++;
      const bad = [];
      if (!inOrder(tok.scopes, a.want)) bad.push(`expected ${a.want.join(' ')}`);
      const forbidden = a.notWant.filter((n) => tok.scopes.some((s) => s === n || s.startsWith(n + '.')));
      if (forbidden.length) bad.push(`expected none of ${forbidden.join(' ')}`);
      if (bad.length) {
        failures.push(
          `${loc}: token ${JSON.stringify(tok.text)}: ${bad.join('; ')}\n` +
            `    actual:   ${tok.scopes.join(' ')}\n` +
            `    line:     ${src}\n` +
            `    asserted: ${a.text}  (${where})`,
        );
      }
    }
  }
  return { checks, lines: parsed.assertions.length, failures };
}

module.exports = { parse, runFile };

if (require.main === module) {
  // Run as a file of its own by `node --test test/`: check the parser.
  const test = require('node:test');
  const assert = require('node:assert');
  test('assertion-line parser', () => {
    const p = parse('# SYNTAX TEST "source.trig" "x"\nwhen a\n# <---- k.trig\n#    ^ ^ e.trig - s\n');
    assert.equal(p.scope, 'source.trig');
    assert.deepEqual(p.assertions.map((a) => [a.sourceLine, a.cols, a.want, a.notWant]), [
      [1, [0, 1, 2, 3], ['k.trig'], []],
      [1, [5, 7], ['e.trig'], ['s']],
    ]);
    assert.deepEqual(parse('# SYNTAX TEST "source.trig"\nx\n# <~~-- - a b\n').assertions[0].cols, [2, 3]);
    assert.deepEqual(parse('# SYNTAX TEST "source.trig"\nx\n# <~~-- - a b\n').assertions[0].notWant, ['a', 'b']);
  });
}
