'use strict';
// Tokenizes the repository's .trig files with the TextMate grammar and
// checks it against a port of src/syntax/lexer.rs (lexer.js): no `invalid`
// scope anywhere, every reserved word that stands as a keyword (not a member
// after a dot, not a parameter name before `:`) gets a keyword scope, and
// comments, numbers, strings, message texts with their `{…}`, operators and
// punctuation get theirs, with the lexer's token boundaries.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, EXT, tokenize, hasScope } = require('./grammar');
const { KEYWORDS, lexDeep } = require('./lexer');

function trigFiles(dir, optional = false) {
  const abs = path.join(REPO, dir);
  if (optional && !fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs)
    .filter((f) => f.endsWith('.trig'))
    .sort()
    .map((f) => path.join(abs, f));
}

const FILES = [
  ...trigFiles('examples'),
  ...trigFiles('examples/cdnow'),
  path.join(REPO, 'editors/testdata/constructs.trig'),
  path.join(EXT, 'test/cases/keywords.trig'),
  // Valid files of the tree-sitter grammar's tests, when that folder is there.
  ...trigFiles('editors/tree-sitter-trig/test/highlight', true),
];

/** Whether the innermost string-or-interpolation scope is a string. */
const inString = (scopes) => {
  const k = innermost(scopes, ['string.quoted.double', 'meta.interpolation']);
  return k >= 0 && hasScope([scopes[k]], 'string.quoted.double');
};
// Lexer token kinds whose scope is one fixed name.
const ONE_SCOPE = {
  duration: 'constant.numeric.duration',
  clock: 'constant.numeric.time',
  percent: 'constant.numeric.percent',
  coalesce: 'keyword.operator.coalesce',
  dot: 'punctuation.accessor',
  comma: 'punctuation.separator.comma',
};
const keywordish = (scopes) => hasScope(scopes, 'keyword') || hasScope(scopes, 'constant.language');

/** Index of the innermost scope starting with one of `prefixes`, or -1. */
function innermost(scopes, prefixes) {
  for (let k = scopes.length - 1; k >= 0; k--) if (prefixes.some((p) => hasScope([scopes[k]], p))) return k;
  return -1;
}

async function check(file) {
  const src = fs.readFileSync(file, 'utf8');
  const rel = path.relative(REPO, file);
  const lines = await tokenize(src);
  const lineStarts = [0];
  for (let k = 0; k < src.length; k++) if (src[k] === '\n') lineStarts.push(k + 1);
  const pos = (offset) => {
    let line = 0;
    while (line + 1 < lineStarts.length && lineStarts[line + 1] <= offset) line++;
    return { line, col: offset - lineStarts[line] };
  };
  const tokenAtOffset = (offset) => {
    const { line, col } = pos(offset);
    return lines[line].find((t) => t.start <= col && col < t.end);
  };
  const failures = [];
  const fail = (offset, what, tok, extra = '') => {
    const { line, col } = pos(offset);
    const tm = tokenAtOffset(offset);
    failures.push(
      `${rel}:${line + 1}:${col + 1}: ${JSON.stringify(tok)}: ${what}${extra}\n` +
        `    actual: ${tm ? `${JSON.stringify(tm.text)} ${tm.scopes.join(' ')}` : '(no token)'}\n` +
        `    line:   ${src.slice(lineStarts[line], (lineStarts[line + 1] || src.length + 1) - 1)}`,
    );
  };
  const keywordsSeen = new Set();

  // 1. No invalid scope anywhere.
  for (const lt of lines) {
    for (const t of lt) {
      if (t.scopes.some((s) => s.startsWith('invalid'))) {
        fail(lineStarts[t.line] + t.start, 'has an invalid scope', t.text);
      }
    }
  }

  // 2. Each lexer token gets the scope of its kind, over its whole extent.
  const expectEvery = (t, what, pred) => {
    for (let o = t.start; o < t.end; o++) {
      const tm = tokenAtOffset(o);
      if (!tm || !pred(tm.scopes)) return fail(o, `expected ${what}`, t.text);
    }
  };
  const expectExact = (t, what, pred) => {
    const tm = tokenAtOffset(t.start);
    const { col } = pos(t.start);
    if (!tm || !pred(tm.scopes)) return fail(t.start, `expected ${what}`, t.text);
    if (tm.start !== col || tm.end !== col + (t.end - t.start)) {
      fail(t.start, `expected one token for the lexer's ${JSON.stringify(t.text)}`, t.text);
    }
  };
  const tokens = lexDeep(src);
  for (const t of tokens) {
    const inInterp = (scopes) => !t.inText || hasScope(scopes, 'meta.interpolation');
    switch (t.kind) {
      case 'comment':
        expectEvery(t, 'comment.line.number-sign.trig', (s) => hasScope(s, 'comment.line.number-sign'));
        break;
      case 'word': {
        const afterDot = t.prev && t.prev.kind === 'dot' && t.prev.end === t.start;
        const afterRule = t.prev && t.prev.kind === 'word' && t.prev.text === 'rule';
        const paramName = !afterRule && t.next && t.next.kind === 'colon';
        if (afterRule) {
          expectExact(t, 'entity.name.function.rule.trig', (s) => hasScope(s, 'entity.name.function.rule'));
        } else if (afterDot) {
          expectExact(t, 'a member (variable.other.property or part of an event name), not a keyword', (s) =>
            inInterp(s) && !keywordish(s) && (hasScope(s, 'variable.other.property') || hasScope(s, 'entity.name.type.event')),
          );
        } else if (paramName) {
          expectExact(t, 'variable.parameter.trig', (s) => inInterp(s) && hasScope(s, 'variable.parameter'));
        } else if (t.word === 'keyword') {
          keywordsSeen.add(t.text);
          expectExact(t, 'a keyword scope (keyword.* or constant.language.*)', (s) => inInterp(s) && keywordish(s));
        } else if (t.prev && t.prev.kind === 'word' && ['send', 'fallback'].includes(t.prev.text)) {
          expectExact(t, 'support.constant.channel.trig', (s) => hasScope(s, 'support.constant.channel'));
        } else {
          expectExact(t, 'a name, not a keyword', (s) => inInterp(s) && !keywordish(s) && !inString(s));
        }
        break;
      }
      case 'duration':
      case 'clock':
      case 'percent':
      case 'coalesce':
      case 'dot':
      case 'comma':
        expectExact(t, `${ONE_SCOPE[t.kind]}.trig`, (s) => inInterp(s) && hasScope(s, ONE_SCOPE[t.kind]));
        break;
      case 'number':
        expectExact(t, 'constant.numeric.integer/decimal.trig', (s) =>
          inInterp(s) && (hasScope(s, 'constant.numeric.integer') || hasScope(s, 'constant.numeric.decimal')),
        );
        break;
      case 'string':
      case 'text': {
        // The quotes and every character belong to this string: its string
        // scope is the innermost string/interpolation scope, except inside
        // the `{…}` of a text, where meta.interpolation is.
        const first = tokenAtOffset(t.start);
        const last = tokenAtOffset(t.end - 1);
        if (!first || !hasScope(first.scopes, 'punctuation.definition.string.begin')) {
          fail(t.start, 'expected punctuation.definition.string.begin.trig', t.text);
        }
        if (!last || !hasScope(last.scopes, 'punctuation.definition.string.end')) {
          fail(t.end - 1, 'expected punctuation.definition.string.end.trig', t.text);
        }
        const interps = t.interps || [];
        for (let o = t.start; o < t.end; o++) {
          const tm = tokenAtOffset(o);
          const scopes = tm ? tm.scopes : [];
          const inSpan = interps.some(([a, b]) => a <= o && o < b);
          // Inside `{…}` the tokens of the expression are checked on their own.
          const ok = inSpan
            ? hasScope(scopes, 'meta.interpolation')
            : inString(scopes) && (!t.inText || hasScope(scopes, 'meta.interpolation'));
          if (!ok) {
            fail(o, inSpan ? 'expected meta.interpolation inside {…}' : 'expected string.quoted.double as the innermost string scope', t.text);
            break;
          }
        }
        break;
      }
      case 'unterminated':
        fail(t.start, 'the lexer sees an unterminated string here', t.text);
        break;
      case 'operator':
        expectExact(t, 'keyword.operator.* (or the range dash of quiet)', (s) =>
          inInterp(s) && (hasScope(s, 'keyword.operator') || hasScope(s, 'punctuation.separator.range')),
        );
        break;
      case 'colon':
        expectExact(t, 'punctuation.separator.*', (s) => inInterp(s) && hasScope(s, 'punctuation.separator'));
        break;
      case 'lparen':
      case 'rparen':
      case 'lbracket':
      case 'rbracket':
        expectExact(t, 'punctuation.section.parens/brackets.*', (s) =>
          inInterp(s) && (hasScope(s, 'punctuation.section.parens') || hasScope(s, 'punctuation.section.brackets')),
        );
        break;
      default:
        fail(t.start, `the lexer does not recognise this (${t.kind})`, t.text);
    }
  }
  return { failures, keywordsSeen, checked: tokens.length };
}

const allSeen = new Set();
for (const file of FILES) {
  test(`tokenize ${path.relative(REPO, file)}`, async (t) => {
    const { failures, keywordsSeen, checked } = await check(file);
    t.diagnostic(`${checked} lexer tokens checked`);
    keywordsSeen.forEach((k) => allSeen.add(k));
    assert.ok(failures.length === 0, `${failures.length} problems:\n${failures.join('\n')}`);
  });
}

test('the files above use every keyword of src/syntax/lexer.rs', () => {
  const missing = KEYWORDS.filter((k) => !allSeen.has(k));
  assert.deepEqual(missing, [], `never seen as a keyword: ${missing.join(' ')}`);
});
