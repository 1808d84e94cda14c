'use strict';
// Syntax tests: every file in test/cases/ (vscode-tmgrammar-test format,
// see assertions.js) checked against syntaxes/trig.tmLanguage.json.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { parse, runFile } = require('./assertions');

const CASES = path.join(__dirname, 'cases');
const files = fs
  .readdirSync(CASES)
  .filter((f) => f.endsWith('.trig'))
  .sort()
  .map((f) => path.join(CASES, f));

test('there are syntax-test files', () => {
  assert.ok(files.length > 0, `no *.trig in ${CASES}`);
});

let total = 0;
for (const file of files) {
  test(`syntax test ${path.basename(file)}`, async (t) => {
    const { checks, lines, failures } = await runFile(file);
    total += checks;
    t.diagnostic(`${lines} assertion lines, ${checks} token checks`);
    assert.ok(failures.length === 0, `${failures.length} failed:\n${failures.join('\n')}`);
  });
}

// Every kind of token the grammar scopes is asserted somewhere, so that
// deleting a case does not go unnoticed.
const REQUIRED = [
  'comment.line.number-sign.trig',
  'punctuation.definition.comment.trig',
  'keyword.control.trig',
  'keyword.control.conditional.trig',
  'keyword.other.option.trig',
  'keyword.operator.word.trig',
  'constant.language.boolean.trig',
  'constant.language.null.trig',
  'constant.numeric.duration.trig',
  'constant.numeric.time.trig',
  'constant.numeric.integer.trig',
  'constant.numeric.decimal.trig',
  'constant.numeric.percent.trig',
  'string.quoted.double.trig',
  'punctuation.definition.string.begin.trig',
  'punctuation.definition.string.end.trig',
  'constant.character.escape.trig',
  'invalid.illegal.unknown-escape.trig',
  'invalid.illegal.lone-brace.trig',
  'meta.interpolation.trig',
  'punctuation.section.interpolation.begin.trig',
  'punctuation.section.interpolation.end.trig',
  'meta.template-name.trig',
  'entity.name.type.event.trig',
  'support.constant.channel.trig',
  'variable.language.trig',
  'variable.other.property.trig',
  'variable.other.readwrite.trig',
  'variable.other.alias.trig',
  'variable.parameter.trig',
  'entity.name.function.rule.trig',
  'entity.name.label.trig',
  'keyword.operator.comparison.trig',
  'keyword.operator.arithmetic.trig',
  'keyword.operator.coalesce.trig',
  'punctuation.accessor.trig',
  'punctuation.separator.comma.trig',
  'punctuation.separator.key-value.trig',
  'punctuation.separator.range.trig',
  'punctuation.section.parens.begin.trig',
  'punctuation.section.parens.end.trig',
  'punctuation.section.brackets.begin.trig',
  'punctuation.section.brackets.end.trig',
];

test('the syntax tests assert every scope kind', () => {
  const asserted = new Set();
  for (const file of files) {
    for (const a of parse(fs.readFileSync(file, 'utf8')).assertions) a.want.forEach((s) => asserted.add(s));
  }
  const missing = REQUIRED.filter((s) => !asserted.has(s));
  assert.deepEqual(missing, [], `no positive assertion in test/cases/*.trig for: ${missing.join(', ')}`);
});

test('syntax-test total', (t) => {
  t.diagnostic(`${total} token checks in ${files.length} files`);
  assert.ok(total > 0);
});
