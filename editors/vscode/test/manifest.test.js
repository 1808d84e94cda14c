'use strict';
// The extension's manifest and the files it names: package.json, the
// grammar, the snippets, the language configuration, extension.js and the
// lock file.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');
const { EXT, tokenize, hasScope } = require('./grammar');
const { lex } = require('./lexer');

const rel = (p) => path.relative(process.cwd(), p) || p;

function readJson(file) {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${rel(file)} is not valid (strict) JSON: ${e.message}`);
  }
}

/** A path named in package.json: relative to the extension, and existing. */
function named(p, what) {
  assert.equal(typeof p, 'string', `package.json: ${what} is not a path`);
  const abs = path.resolve(EXT, p);
  assert.ok(abs.startsWith(EXT + path.sep), `package.json: ${what} (${p}) is outside ${rel(EXT)}`);
  assert.ok(fs.existsSync(abs), `package.json: ${what} names ${p}, which does not exist (${rel(abs)})`);
  return abs;
}

const pkg = readJson(path.join(EXT, 'package.json'));
const contributes = pkg.contributes || {};

test('package.json: identity, engine, entry point, activation', () => {
  assert.equal(pkg.name, 'trig');
  for (const k of ['displayName', 'description', 'version', 'publisher']) {
    assert.ok(typeof pkg[k] === 'string' && pkg[k], `package.json: no ${k}`);
  }
  assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
  assert.ok(pkg.engines && typeof pkg.engines.vscode === 'string', 'package.json: no engines.vscode');
  assert.match(pkg.engines.vscode, /^\^\d+\.\d+\.\d+$/);
  named(pkg.main, 'main');
  assert.ok((pkg.activationEvents || []).includes('onLanguage:trig'), 'package.json: activationEvents lacks onLanguage:trig');
});

test('package.json: the trig language and its configuration', () => {
  const langs = contributes.languages || [];
  const trig = langs.find((l) => l.id === 'trig');
  assert.ok(trig, 'contributes.languages has no id trig');
  assert.ok((trig.extensions || []).includes('.trig'), 'the trig language does not claim .trig');
  assert.ok(Array.isArray(trig.aliases) && trig.aliases.length > 0, 'the trig language has no aliases');
  for (const l of langs) {
    if (l.configuration) readJson(named(l.configuration, `languages[${l.id}].configuration`));
  }
  assert.ok(trig.configuration, 'the trig language has no configuration');
});

test('package.json: the grammar', () => {
  const grammars = contributes.grammars || [];
  assert.ok(grammars.length > 0, 'no contributes.grammars');
  for (const g of grammars) {
    const file = named(g.path, `grammars[${g.scopeName}].path`);
    const grammar = readJson(file);
    assert.equal(grammar.scopeName, g.scopeName, `${rel(file)} scopeName differs from contributes.grammars`);
    assert.ok(Array.isArray(grammar.patterns) && grammar.patterns.length > 0, `${rel(file)} has no patterns`);
    // Every include names a rule of the repository.
    const includes = JSON.stringify(grammar).match(/"include":\s*"#[^"]+"/g) || [];
    for (const inc of includes) {
      const name = /#([^"]+)"/.exec(inc)[1];
      assert.ok(grammar.repository && grammar.repository[name], `${rel(file)}: include #${name} is not in repository`);
    }
  }
  const trig = grammars.find((g) => g.language === 'trig');
  assert.ok(trig, 'no grammar for language trig');
  assert.equal(trig.scopeName, 'source.trig');
});

// ---------------------------------------------------------------- snippets

/** The text a snippet body inserts with every placeholder at its default. */
function expand(body) {
  let i = 0;
  const parse = (stop) => {
    let out = '';
    while (i < body.length) {
      const c = body[i];
      if (c === '\\' && i + 1 < body.length && '$}\\,|'.includes(body[i + 1])) {
        out += body[i + 1];
        i += 2;
      } else if (stop && c === stop) {
        return out;
      } else if (c === '$') {
        let m;
        if ((m = /^\$(\d+)/.exec(body.slice(i)))) {
          i += m[0].length;
        } else if ((m = /^\$\{(\d+)\}/.exec(body.slice(i)))) {
          i += m[0].length;
        } else if ((m = /^\$\{(\d+)\|([^|]*)\|\}/.exec(body.slice(i)))) {
          i += m[0].length;
          out += m[2].split(',')[0];
        } else if ((m = /^\$\{(\d+):/.exec(body.slice(i)))) {
          i += m[0].length;
          out += parse('}');
          if (body[i] !== '}') throw new Error(`unclosed placeholder in ${JSON.stringify(body)}`);
          i++;
        } else {
          throw new Error(`a $ that is neither a tab stop nor escaped in ${JSON.stringify(body)}`);
        }
      } else {
        out += c;
        i++;
      }
    }
    if (stop) throw new Error(`unclosed placeholder in ${JSON.stringify(body)}`);
    return out;
  };
  return parse(null);
}

test('snippets: each has a prefix, a body and a description, and its text highlights and lexes cleanly', async () => {
  const snippetFiles = contributes.snippets || [];
  assert.ok(snippetFiles.length > 0, 'no contributes.snippets');
  const problems = [];
  let count = 0;
  for (const s of snippetFiles) {
    assert.equal(s.language, 'trig');
    const file = named(s.path, 'snippets[].path');
    const snippets = readJson(file);
    for (const [name, sn] of Object.entries(snippets)) {
      count++;
      const where = `${rel(file)} "${name}"`;
      // VS Code also takes a list of prefixes; tests/editor_vscode.rs wants one.
      if (typeof sn.prefix !== 'string' || !/^\S+$/.test(sn.prefix)) {
        problems.push(`${where}: prefix must be one word (a string)`);
      }
      if (!(typeof sn.body === 'string' || (Array.isArray(sn.body) && sn.body.every((l) => typeof l === 'string')))) {
        problems.push(`${where}: body must be a string or an array of strings`);
        continue;
      }
      if (typeof sn.description !== 'string') problems.push(`${where}: no description`);
      let text;
      try {
        text = expand([].concat(sn.body).join('\n'));
      } catch (e) {
        problems.push(`${where}: ${e.message}`);
        continue;
      }
      for (const t of lex(text)) {
        if (t.kind === 'error' || t.kind === 'unterminated') problems.push(`${where}: the lexer sees ${t.kind} ${JSON.stringify(t.text)} in\n${text}`);
      }
      const lines = await tokenize(text);
      for (const lt of lines) {
        for (const t of lt) {
          if (t.scopes.some((x) => x.startsWith('invalid'))) problems.push(`${where}: ${JSON.stringify(t.text)} is ${t.scopes.join(' ')}`);
        }
      }
      if (/\bwhen\b/.test(text) && !lines.flat().some((t) => t.text === 'when' && hasScope(t.scopes, 'keyword.control'))) {
        problems.push(`${where}: \`when\` is not highlighted as a keyword in\n${text}`);
      }
    }
  }
  assert.deepEqual(problems, []);
  const names = snippetFiles.flatMap((s) => Object.keys(readJson(path.resolve(EXT, s.path))));
  for (const want of ['Cart abandonment', 'First purchase', 'Repeated visits', 'Inactivity (win-back)', 'Cascade']) {
    assert.ok(names.includes(want), `no "${want}" snippet`);
  }
  assert.ok(count >= 5);
});

test('snippet expansion helper', () => {
  assert.equal(expand('a ${1:b ${2:c}} ${3|x,y|} $0\\$ \\}'), 'a b c x $ }');
  assert.equal(expand('"${1:{a.b\\}}"'), '"{a.b}"');
});

// ---------------------------------------------------------------- settings

test('package.json: settings of the language server', () => {
  const props = (contributes.configuration && contributes.configuration.properties) || {};
  const p = props['trig.server.path'];
  assert.ok(p, 'no trig.server.path setting');
  assert.equal(p.type, 'string');
  assert.equal(p.default, 'trig');
  for (const [k, v] of Object.entries(props)) {
    assert.ok(k.startsWith('trig.'), `setting ${k} is not under trig.`);
    assert.ok(v.type, `setting ${k} has no type`);
    assert.ok(v.description || v.markdownDescription, `setting ${k} has no description`);
  }
  for (const c of contributes.commands || []) {
    assert.ok(/^trig\./.test(c.command) && c.title, `command ${JSON.stringify(c)}`);
  }
});

test('language-configuration.json: strict JSON, comments, brackets, quotes, indentation', () => {
  const conf = readJson(path.join(EXT, 'language-configuration.json'));
  assert.equal(conf.comments && conf.comments.lineComment, '#');
  const pairs = (conf.brackets || []).map((b) => b.join(''));
  for (const b of ['()', '[]', '{}']) assert.ok(pairs.includes(b), `brackets lack ${b}`);
  const quote = (conf.autoClosingPairs || []).find((p) => p.open === '"');
  assert.ok(quote && quote.close === '"' && (quote.notIn || []).includes('string'), 'autoClosingPairs: " must not close inside strings');
  assert.ok((conf.surroundingPairs || []).some((p) => (Array.isArray(p) ? p[0] : p.open) === '"'));

  const word = new RegExp(conf.wordPattern, 'g');
  const words = (s) => s.match(word);
  assert.deepEqual(words('when cart.abandoned for 1d12h'), ['when', 'cart.abandoned', 'for', '1d12h']);
  assert.deepEqual(words('quiet 21:00-09:00 holdout 12.5% x >= 20.5'), ['quiet', '21:00', '09:00', 'holdout', '12.5%', 'x', '20.5']);

  const rules = conf.indentationRules;
  const inc = new RegExp(rules.increaseIndentPattern);
  const dec = new RegExp(rules.decreaseIndentPattern);
  for (const l of ['rule cart_reminder:', 'rule x: # comment', 'when cart.abandoned for 2h', '    with (', '  if customer.x in [']) {
    assert.ok(inc.test(l), `increaseIndentPattern should match ${JSON.stringify(l)}`);
  }
  for (const l of ['  when cart.abandoned', '  then send sms "x"', 'when a then send sms "x"', '# rule x:', '  key x']) {
    assert.ok(!inc.test(l), `increaseIndentPattern should not match ${JSON.stringify(l)}`);
  }
  for (const l of ['  rule b:', '    )', '  ]']) assert.ok(dec.test(l), `decreaseIndentPattern should match ${JSON.stringify(l)}`);
  for (const l of ['  rules', '  when x', '  tag rule_x']) assert.ok(!dec.test(l), `decreaseIndentPattern should not match ${JSON.stringify(l)}`);
});

// ---------------------------------------------------------------- code

test('extension.js requires only declared dependencies and builtins; the lock file matches package.json', () => {
  const main = path.resolve(EXT, pkg.main);
  const src = fs.readFileSync(main, 'utf8');
  const required = [...src.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  assert.ok(required.includes('vscode-languageclient/node'), 'extension.js does not use vscode-languageclient/node');
  const deps = Object.keys(pkg.dependencies || {});
  assert.ok(deps.includes('vscode-languageclient'), 'vscode-languageclient is not in dependencies');
  assert.match(pkg.dependencies['vscode-languageclient'], /^\^?9\./, 'vscode-languageclient must be v9');
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  for (const r of required) {
    if (r === 'vscode' || builtins.has(r) || r.startsWith('node:')) continue;
    if (r.startsWith('.')) {
      assert.ok(fs.existsSync(path.resolve(path.dirname(main), r)) || fs.existsSync(path.resolve(path.dirname(main), r + '.js')), `${r} does not exist`);
      continue;
    }
    const name = r.startsWith('@') ? r.split('/').slice(0, 2).join('/') : r.split('/')[0];
    assert.ok(deps.includes(name), `extension.js requires ${r}, but ${name} is not in dependencies (devDependencies are not packaged)`);
  }
  assert.ok(!('vscode' in (pkg.dependencies || {})), 'the vscode module is provided by VS Code, not a dependency');

  const lockFile = path.join(EXT, 'package-lock.json');
  assert.ok(fs.existsSync(lockFile), 'no package-lock.json (run npm install in editors/vscode)');
  const lock = readJson(lockFile);
  const root = (lock.packages || {})[''] || {};
  assert.deepEqual(root.dependencies || {}, pkg.dependencies || {}, 'package-lock.json dependencies differ from package.json: run npm install');
  assert.deepEqual(root.devDependencies || {}, pkg.devDependencies || {}, 'package-lock.json devDependencies differ from package.json: run npm install');
});

test('extension.js loads and finds executables (with a stand-in vscode module)', () => {
  const Module = require('node:module');
  const original = Module._load;
  const stub = { workspace: { workspaceFolders: undefined } };
  const handler = {
    get: (t, k) => (k in t ? t[k] : (t[k] = new Proxy(function () {}, handler))),
    apply: () => new Proxy(function () {}, handler),
    construct: () => new Proxy(function () {}, handler),
  };
  Module._load = function (request, ...rest) {
    if (request === 'vscode') return new Proxy(stub, handler);
    return original.call(this, request, ...rest);
  };
  try {
    const ext = require(path.resolve(EXT, pkg.main));
    assert.equal(typeof ext.activate, 'function');
    assert.equal(typeof ext.deactivate, 'function');
    assert.ok(ext.findExecutable(process.execPath), 'an absolute path to an executable is found');
    assert.equal(ext.findExecutable('trig-no-such-executable-here'), undefined);
    assert.equal(ext.findExecutable('/no/such/dir/trig'), undefined);
  } finally {
    Module._load = original;
  }
});
