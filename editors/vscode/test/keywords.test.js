'use strict';
// The TextMate grammar keeps the reserved words of src/syntax/lexer.rs
// KEYWORDS: repository.keywords is a list of `\b(a|b|…)\b` patterns whose
// words are exactly KEYWORDS (tests/keywords.rs checks the same from Rust),
// and every not-a-keyword lookahead `(?!(?:…)\b)` repeats the whole list.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { GRAMMAR, tokenize, hasScope } = require('./grammar');
const { KEYWORDS, LEXER_RS } = require('./lexer');

const grammar = JSON.parse(fs.readFileSync(GRAMMAR, 'utf8'));
const rel = path.relative(process.cwd(), GRAMMAR);
const sorted = (xs) => [...xs].sort();

test('lexer.rs KEYWORDS is read (no duplicates)', (t) => {
  t.diagnostic(`${KEYWORDS.length} keywords: ${KEYWORDS.join(' ')}`);
  assert.equal(new Set(KEYWORDS).size, KEYWORDS.length, `${LEXER_RS}: a keyword is listed twice`);
  assert.ok(KEYWORDS.length > 20 && KEYWORDS.includes('rule') && KEYWORDS.includes('when'), `unexpected KEYWORDS: ${KEYWORDS}`);
});

test('repository.keywords: patterns of the form \\b(a|b|…)\\b whose words are exactly KEYWORDS', () => {
  const kw = grammar.repository && grammar.repository.keywords;
  assert.ok(kw && Array.isArray(kw.patterns), `${rel}: repository.keywords must be an object with a patterns array`);
  const words = [];
  kw.patterns.forEach((p, k) => {
    assert.equal(typeof p.name, 'string', `${rel}: repository.keywords.patterns[${k}] has no name`);
    const m = /^\\b\(([a-z_]+(?:\|[a-z_]+)*)\)\\b$/.exec(p.match || '');
    assert.ok(m, `${rel}: repository.keywords.patterns[${k}].match is not \\b(a|b|…)\\b: ${p.match}`);
    assert.ok(
      /^(keyword|constant\.language)\./.test(p.name),
      `${rel}: repository.keywords.patterns[${k}] scope ${p.name} is not keyword.* or constant.language.*`,
    );
    words.push(...m[1].split('|'));
  });
  const dup = words.filter((w, k) => words.indexOf(w) !== k);
  assert.deepEqual(dup, [], `${rel}: keywords listed twice: ${dup}`);
  const extra = words.filter((w) => !KEYWORDS.includes(w));
  const missing = KEYWORDS.filter((w) => !words.includes(w));
  assert.deepEqual(
    { extra, missing },
    { extra: [], missing: [] },
    `${rel} repository.keywords differs from ${path.relative(process.cwd(), LEXER_RS)} KEYWORDS`,
  );
});

function regexes(node, where, out = []) {
  if (Array.isArray(node)) node.forEach((n, k) => regexes(n, `${where}[${k}]`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (['match', 'begin', 'end', 'while'].includes(k) && typeof v === 'string') out.push({ where: `${where}.${k}`, re: v });
      else regexes(v, `${where}.${k}`, out);
    }
  }
  return out;
}

test('every not-a-keyword lookahead (?!(?:…)\\b) lists exactly KEYWORDS', () => {
  let seen = 0;
  const problems = [];
  for (const { where, re } of regexes(grammar, 'grammar')) {
    for (const m of re.matchAll(/\(\?!\(\?:([a-z_|]+)\)\\b\)/g)) {
      seen++;
      const words = m[1].split('|');
      if (sorted(words).join() !== sorted(KEYWORDS).join()) {
        problems.push(`${where}: extra ${words.filter((w) => !KEYWORDS.includes(w))}, missing ${KEYWORDS.filter((w) => !words.includes(w))}`);
      }
    }
  }
  assert.ok(seen > 0, 'no not-a-keyword lookahead found: did its form change?');
  assert.deepEqual(problems, []);
});

test('every other word list in the grammar holds only keywords (or the path roots)', () => {
  const allowed = new Set([...KEYWORDS, 'customer', 'event', 'now', 'ms', 's', 'm', 'h', 'd', 'w']);
  const problems = [];
  let seen = 0;
  for (const { where, re } of regexes(grammar, 'grammar')) {
    for (const m of re.matchAll(/\((?:\?:|\?=\(\?:)?([a-z_]+(?:\|[a-z_]+)+)\)/g)) {
      seen++;
      const bad = m[1].split('|').filter((w) => !allowed.has(w));
      if (bad.length) problems.push(`${where}: ${bad.join(' ')} in ${m[0]}`);
    }
  }
  assert.ok(seen > 10, `only ${seen} word lists found: did their form change?`);
  assert.deepEqual(problems, []);
});

test('each keyword alone in an expression gets its keyword scope, and never inside a longer name', async () => {
  const byWord = new Map();
  for (const p of grammar.repository.keywords.patterns) {
    for (const w of /\(([^)]*)\)/.exec(p.match)[1].split('|')) byWord.set(w, p.name);
  }
  const problems = [];
  for (const w of KEYWORDS) {
    // `key x == W` puts the word where only #expression applies.
    const line = `key x == ${w} + ${w}_x + x_${w} + ${w}2 + x.${w}`;
    const [tokens] = await tokenize(line);
    const at = (col) => tokens.find((t) => t.start <= col && col < t.end);
    const first = at(9);
    if (!first || first.text !== w || !first.scopes.includes(byWord.get(w))) {
      problems.push(`${w}: expected ${byWord.get(w)} at 1:10, got ${first && JSON.stringify(first.text)} ${first && first.scopes.join(' ')}`);
    }
    for (const name of [`${w}_x`, `x_${w}`, `${w}2`]) {
      const t = at(line.indexOf(name));
      if (!t || t.text !== name || hasScope(t.scopes, 'keyword') || hasScope(t.scopes, 'constant.language')) {
        problems.push(`${name}: expected one name token, got ${t && JSON.stringify(t.text)} ${t && t.scopes.join(' ')}`);
      }
    }
    const member = at(line.lastIndexOf(w));
    if (!member || !member.scopes.includes('variable.other.property.trig')) {
      problems.push(`x.${w}: expected variable.other.property.trig, got ${member && member.scopes.join(' ')}`);
    }
  }
  assert.deepEqual(problems, []);
});
