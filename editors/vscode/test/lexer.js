'use strict';
// Shared helpers for the tests (not a test itself): the reserved words and
// channel names read from src/syntax/lexer.rs, and a port of that lexer's
// token boundaries (including which strings are message texts and where
// their `{…}` interpolations are). The tests use it as an oracle that does
// not depend on the TextMate grammar under test.

const fs = require('node:fs');
const path = require('node:path');
const { REPO } = require('./grammar');

const LEXER_RS = path.join(REPO, 'src', 'syntax', 'lexer.rs');

/** The string literals of `pub const NAME: &[&str] = &[ … ];` in lexer.rs. */
function rustStrList(name) {
  const src = fs.readFileSync(LEXER_RS, 'utf8');
  const m = new RegExp(`pub const ${name}: &\\[&str\\] = &\\[([^\\]]*)\\];`).exec(src);
  if (!m) throw new Error(`${LEXER_RS}: no \`pub const ${name}: &[&str] = &[…];\``);
  const words = [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]);
  if (words.length === 0) throw new Error(`${LEXER_RS}: ${name} is empty`);
  return words;
}

const KEYWORDS = rustStrList('KEYWORDS');
const CHANNELS = rustStrList('CHANNELS');
const KEYWORD_SET = new Set(KEYWORDS);

const NUMERIC = [
  ['duration', /[0-9]+(?:ms|s|m|h|d|w)(?:[0-9]+(?:ms|s|m|h|d|w))*/y],
  ['clock', /[0-9][0-9]:[0-9][0-9]/y],
  ['number', /[0-9]+(?:\.[0-9]+)?/y],
  ['percent', /[0-9]+(?:\.[0-9]+)?%/y],
];
const OPERATOR = /==|!=|<=|>=|<|>|\+|-|\*|\//y;
const PUNCT = { '(': 'lparen', ')': 'rparen', '[': 'lbracket', ']': 'rbracket', ',': 'comma', ':': 'colon', '.': 'dot' };

function afterWord(before) {
  const t = before.trimEnd();
  if (!t) return false;
  const c = t[t.length - 1];
  return /[\p{L}\p{N}_).]/u.test(c);
}

/**
 * Scans a string whose opening quote is at `src[start]`, as lexer.rs
 * `string` does. Returns { end, kind: 'string'|'text'|'unterminated',
 * interps: [[from, to]] } where interps are the `{…}` spans of a text
 * (from the `{` to just after its `}`, or to where the text ends).
 */
function scanString(src, start, textMode) {
  const rest = start + 1;
  let depth = 0;
  let inInner = false;
  let open = -1;
  const interps = [];
  for (let i = rest; i < src.length; i++) {
    const c = src[i];
    if (c === '\n' || c === '\r') {
      if (depth > 0) interps.push([open, i]);
      return { end: i, kind: 'unterminated', interps };
    }
    if (c === '\\') {
      // `\u{…}` is one escape (grammar/trig.pest `escape`), braces included.
      const u = /u\{[^}"\n]*\}/y;
      u.lastIndex = i + 1;
      const m = u.exec(src);
      if (m) i += m[0].length;
      else if (i + 1 < src.length && src[i + 1] !== '\n' && src[i + 1] !== '\r') i++;
      continue;
    }
    if (c === '"' && inInner) {
      inInner = false;
      continue;
    }
    if (c === '"' && depth > 0 && !afterWord(src.slice(rest, i))) {
      inInner = true;
      continue;
    }
    if (c === '"') {
      if (depth > 0) interps.push([open, i]);
      return { end: i + 1, kind: textMode ? 'text' : 'string', interps };
    }
    if (inInner || !textMode) continue;
    if (c === '{' && depth === 0 && src[i + 1] === '{') {
      i++;
      continue;
    }
    if (c === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) interps.push([open, i + 1]);
    }
  }
  if (depth > 0) interps.push([open, src.length]);
  return { end: src.length, kind: 'unterminated', interps };
}

/**
 * Tokens of `src` from offset `from` to `to`: { kind, start, end, text,
 * word? ('keyword'|'channel'|'name'), interps? } with offsets into `src`.
 * Kinds: comment word duration clock number percent string text
 * unterminated operator coalesce lparen rparen lbracket rbracket comma colon
 * dot error.
 */
function lex(src, from = 0, to = src.length) {
  const out = [];
  let i = from;
  const significant = () => out.filter((t) => t.kind !== 'comment');
  while (i < to) {
    const c = src[i];
    if (/[ \t\r\n\uFEFF]/.test(c)) {
      i++;
      continue;
    }
    let tok;
    if (c === '#') {
      let j = src.indexOf('\n', i);
      if (j < 0 || j > to) j = to;
      tok = { kind: 'comment', start: i, end: j };
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /[A-Za-z_][A-Za-z0-9_]*/y;
      m.lastIndex = i;
      const w = m.exec(src)[0];
      const word = KEYWORD_SET.has(w) ? 'keyword' : CHANNELS.includes(w) ? 'channel' : 'name';
      tok = { kind: 'word', word, start: i, end: i + w.length };
    } else if (/[0-9]/.test(c)) {
      let best = null;
      for (const [kind, re] of NUMERIC) {
        re.lastIndex = i;
        const m = re.exec(src);
        if (m && (!best || m[0].length > best.len)) best = { kind, len: m[0].length };
      }
      tok = { kind: best.kind, start: i, end: i + best.len };
    } else if (c === '"') {
      const sig = significant();
      const last = sig[sig.length - 1];
      const before = sig[sig.length - 2];
      const textMode =
        !!last &&
        !!before &&
        last.kind === 'word' &&
        last.word !== 'keyword' &&
        before.kind === 'word' &&
        (before.text === 'send' || before.text === 'fallback');
      const s = scanString(src, i, textMode);
      tok = { kind: s.kind, start: i, end: Math.min(s.end, to), interps: s.interps, textMode };
    } else if (src.startsWith('??', i)) {
      tok = { kind: 'coalesce', start: i, end: i + 2 };
    } else {
      OPERATOR.lastIndex = i;
      const m = OPERATOR.exec(src);
      if (m) tok = { kind: 'operator', start: i, end: i + m[0].length };
      else if (PUNCT[c]) tok = { kind: PUNCT[c], start: i, end: i + 1 };
      else tok = { kind: 'error', start: i, end: i + 1 };
    }
    tok.text = src.slice(tok.start, tok.end);
    out.push(tok);
    i = tok.end;
  }
  return out;
}

/**
 * Like `lex`, and also the tokens inside each `{…}` of a message text
 * (flagged `inText: true`); each token knows the significant (non-comment)
 * tokens before and after it at its own level (`prev`, `next`).
 */
function lexDeep(src) {
  const out = [];
  const walk = (from, to, inText) => {
    const toks = lex(src, from, to);
    const sig = toks.filter((t) => t.kind !== 'comment');
    sig.forEach((t, k) => {
      t.prev = sig[k - 1];
      t.next = sig[k + 1];
    });
    for (const t of toks) {
      t.inText = inText;
      out.push(t);
      for (const [a, b] of t.interps || []) {
        const close = src[b - 1] === '}' ? b - 1 : b;
        walk(a + 1, close, true);
      }
    }
  };
  walk(0, src.length, false);
  return out;
}

module.exports = { KEYWORDS, CHANNELS, LEXER_RS, lex, lexDeep, scanString };

if (require.main === module) {
  // Run as a file of its own by `node --test test/`: check the oracle.
  const test = require('node:test');
  const assert = require('node:assert');
  const kinds = (src) => lex(src).map((t) => `${t.kind}:${t.text}`);
  test('lexer port: token kinds and boundaries', () => {
    assert.deepEqual(kinds('limit 1 per 1d12h # c'), ['word:limit', 'number:1', 'word:per', 'duration:1d12h', 'comment:# c']);
    assert.deepEqual(kinds('quiet 21:30-08:00 holdout 12.5% x ?? -2.5'), [
      'word:quiet', 'clock:21:30', 'operator:-', 'clock:08:00', 'word:holdout', 'percent:12.5%',
      'word:x', 'coalesce:??', 'operator:-', 'number:2.5',
    ]);
    assert.deepEqual(kinds('a.b(c)[d],e:f {'), [
      'word:a', 'dot:.', 'word:b', 'lparen:(', 'word:c', 'rparen:)', 'lbracket:[', 'word:d', 'rbracket:]',
      'comma:,', 'word:e', 'colon::', 'word:f', 'error:{',
    ]);
  });
  test('lexer port: texts after send/fallback CHANNEL, and their {…}', () => {
    const src = 'send sms "a {b ?? "c}"} \\u{1F600} {{d}}" template "e {f}"';
    const toks = lex(src);
    const text = toks[2];
    assert.equal(text.kind, 'text');
    assert.deepEqual(text.interps.map(([a, b]) => src.slice(a, b)), ['{b ?? "c}"}']);
    assert.equal(toks[4].kind, 'string');
    assert.deepEqual(toks[4].interps, []);
    assert.equal(lex('send sms "x {a"}"')[2].text, '"x {a"', 'a quote after a name ends the text');
    assert.equal(lex('send sms "x {a')[2].kind, 'unterminated');
    const deep = lexDeep('fallback viber "{v.n ?? "it"}"');
    assert.deepEqual(deep.filter((t) => t.inText).map((t) => t.text), ['v', '.', 'n', '??', '"it"']);
  });
  test('lexer port: keywords and channels read from lexer.rs', () => {
    assert.ok(KEYWORDS.includes('when') && KEYWORDS.includes('null'));
    assert.ok(CHANNELS.includes('whatsapp'));
    assert.equal(lex('form')[0].word, 'name');
    assert.equal(lex('for')[0].word, 'keyword');
    assert.equal(lex('sms')[0].word, 'channel');
  });
}
