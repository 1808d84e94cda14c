/**
 * @file Tree-sitter grammar for trig, a language of behavioral marketing
 * triggers (`*.trig`).
 *
 * This mirrors grammar/trig.pest, the single source of truth for syntax; the
 * contract is LANGUAGE.md. When the pest grammar changes, change this file,
 * run `tree-sitter generate` and commit the regenerated src/
 * (tests/editor_treesitter.rs checks that it is up to date).
 *
 * Where the two differ, and why:
 * - Node names. Pest rules whose names are also keywords are renamed so that
 *   a query never has to tell `(key)` from `"key"`: inactive → inactivity,
 *   first → first_match, action → send_action, fallback → fallback_action,
 *   lang → lang_clause, the options → *_option. The expression levels
 *   (or_expr … unary) become binary_expression / unary_expression nodes.
 * - A lone `{` or `}` in a message text is an error here, where pest parses
 *   it so that the AST builder can explain how to double it: parsing it
 *   would make `{name}` ambiguous for a one-token-lookahead parser.
 * - Pest's negative lookaheads (`12abc` is not a number) have no equivalent
 *   in tree-sitter's lexer; such input splits into two tokens and fails in
 *   the parser instead.
 * Every file pest accepts parses without errors here: a test checks that
 * over all the .trig files of the repository.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

// The reserved words of LANGUAGE.md, in its order (the same list as
// `KEYWORDS` in src/syntax/lexer.rs; a Rust test compares them). The check
// at the end of this file makes sure the rules below use exactly these.
const KEYWORDS = [
  'rule', 'when', 'then', 'fallback', 'if', 'unless', 'and', 'or', 'not',
  'for', 'within', 'times', 'first', 'inactive', 'followed', 'by', 'as',
  'where', 'send', 'template', 'lang', 'with', 'key', 'limit', 'per',
  'once', 'priority', 'quiet', 'goal', 'holdout', 'tag', 'in',
  'contains', 'starts', 'true', 'false', 'null',
];

const NAME = /[A-Za-z_][A-Za-z0-9_]*/;

/** `rule` one or more times, separated by commas, with a trailing comma. */
function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)), optional(','));
}

const trig = grammar({
  name: 'trig',

  // Keyword extraction: a word is lexed whole and then looked up, so
  // `format` is a name and `form.submitted` is never `for` + `m.submitted`.
  word: $ => $.identifier,

  // Keywords are reserved (trig.pest: `ident = !KEYWORD …`): a keyword where
  // a name is expected is an error, as in pest, not a name. That also helps
  // error recovery, which then sees the keyword that starts the next clause.
  reserved: {
    global: _ => KEYWORDS,
    // Parameter names may be any name (`with (key: …)`).
    any_name: _ => [],
  },

  // Exactly trig.pest's WHITESPACE: other Unicode spaces are errors there.
  extras: $ => [/[ \t\r\n]/, '\uFEFF', $.comment],

  supertypes: $ => [$._expression],

  conflicts: $ => [
    // `where x and not y`: a top-level `and not` ends the filter and starts
    // an absence (trig.pest: `filter_and = not_expr (and !not not_expr)*`).
    // Deciding takes two tokens, so the parser tries both: the filter branch
    // dies at `not` (the right side of a filter `and` cannot start with
    // `not`), the absence branch dies at anything else.
    [$._filter_expression, $._filter_and_expression],
    [$._filter_or_expression, $._filter_and_expression],
  ],

  rules: {
    source_file: $ => repeat($.rule_definition),

    // ------------------------------------------------------------ rules
    // rule_def = { header? ~ kw_when ~ trigger ~ guard* ~ kw_then ~ action
    //              ~ fallback* ~ option* }
    rule_definition: $ => seq(
      optional($.header),
      'when',
      field('trigger', $.trigger),
      repeat($.guard),
      'then',
      field('action', $.send_action),
      repeat($.fallback_action),
      repeat($._option),
    ),

    header: $ => seq('rule', field('name', $.identifier), ':'),

    // ------------------------------------------------------------ names
    identifier: _ => NAME,

    // After a dot any name is a member, keywords included (`event.first`).
    // A token of its own, not the `word` token, so that keyword extraction
    // never sees it; immediate, because `event .x` is not a path.
    member: _ => token.immediate(NAME),

    event_name: $ => choice($.string, $._dotted_name),

    _dotted_name: $ => seq($.identifier, repeat(seq(token.immediate('.'), $.member))),

    // ------------------------------------------------------------ literals
    // trig.pest tries units longest first; the lexer's longest match does
    // the same (`500ms` is one unit, not `500m` and `s`).
    duration: _ => /([0-9]+(ms|s|m|h|d|w))+/,
    clock: _ => /[0-9][0-9]:[0-9][0-9]/,
    number: _ => /[0-9]+(\.[0-9]+)?/,
    integer: _ => /[0-9]+/,
    percent: _ => /[0-9]+(\.[0-9]+)?%/,

    // A plain string. Content tokens are immediate and outrank the extras, so
    // spaces and `#` inside quotes are text, not whitespace or a comment, and
    // an unterminated string stops at the end of its line.
    string: $ => seq(
      '"',
      repeat(choice($.string_content, $.escape_sequence, $._unterminated)),
      '"',
    ),
    string_content: _ => token.immediate(prec(1, /[^"\\\n\r]+/)),

    // Unknown escapes parse (the AST builder reports them), as in trig.pest.
    escape_sequence: _ => token.immediate(seq('\\', choice(/u\{[^}"\n\r]*\}/, /[^\n\r]/))),

    // A message text: `{expr}` interpolates, `{{` and `}}` are literal
    // braces, strings inside `{…}` are plain.
    text: $ => seq(
      '"',
      repeat(choice(
        $.text_content, $.escape_sequence, $.brace_escape, $.interpolation, $._unterminated,
      )),
      '"',
    ),
    text_content: _ => token.immediate(prec(1, /[^"\\{}\n\r]+/)),
    brace_escape: _ => token.immediate(choice('{{', '}}')),
    interpolation: $ => seq(token.immediate('{'), $._expression, '}'),

    // Error recovery for a missing closing quote, so that it costs one line,
    // not everything up to the next quote. Content tokens stop at the end of
    // the line; what follows (usually a keyword: `limit`, `fallback`, `rule`)
    // is lexed in the string's parse state, and tree-sitter recognises
    // reserved words only in states where a name may come next. This
    // alternative puts a name there: the word lexes as its keyword, which no
    // string accepts, and the parser inserts a MISSING `"` before it. The
    // alternative itself never completes (`_never` matches nothing), so a
    // plain word after the line break is an error too.
    _unterminated: $ => seq($.identifier, alias($._never, '"')),
    _never: _ => token(prec(-1, /[^\s\S]/)),

    comment: _ => token(seq('#', /.*/)),

    // ------------------------------------------------------------ triggers
    trigger: $ => seq(
      choice($.inactivity, $.first_match, $.pattern),
      optional($.wait),
      repeat($.absence),
    ),

    // `inactive for D` takes no modifiers, but an alias or filter after it
    // parses so that the checker can say why it does not belong there.
    inactivity: $ => seq(
      'inactive', 'for', field('duration', $.duration),
      optional(choice($.alias, $.filter)),
    ),

    first_match: $ => seq('first', $.matcher),

    pattern: $ => seq($.matcher, optional(choice($.count, $.sequence))),

    // A number right after a filter is this count (trig.pest needs
    // `number ~ !kw_times` for that); here no expression continues with a
    // number, so the parser sees it without help.
    count: $ => seq(
      field('count', $.integer), 'times', 'within', field('window', $.duration),
    ),

    sequence: $ => seq(
      'followed', 'by', $.matcher, 'within', field('window', $.duration),
    ),

    matcher: $ => seq(
      choice($.event_name, $.event_group),
      optional($.alias),
      optional($.filter),
    ),

    event_group: $ => seq(
      '(', $.event_name, repeat1(seq('or', $.event_name)), ')',
    ),

    alias: $ => seq('as', field('name', $.identifier)),

    filter: $ => seq('where', $._filter_expression),

    wait: $ => seq('for', field('duration', $.duration)),

    absence: $ => seq(
      'and', 'not', $.event_name,
      optional($.alias),
      optional($.filter),
      optional(seq('within', field('window', $.duration))),
    ),

    guard: $ => seq(choice('if', 'unless'), $._expression),

    // ------------------------------------------------------------ actions
    send_action: $ => seq('send', $.step),

    fallback_action: $ => seq('fallback', $.step),

    // Channels are not reserved: any name parses, the checker knows them.
    step: $ => seq(
      field('channel', alias($.identifier, $.channel)),
      choice($.template_step, $.text),
    ),

    template_step: $ => seq(
      'template', field('name', $.string),
      optional($.lang_clause),
      optional($.params),
    ),

    lang_clause: $ => seq('lang', $._expression),

    params: $ => seq('with', '(', optional(commaSep1($.param)), ')'),

    // A parameter name may be any name (trig.pest: `member`), keywords too.
    // The `any_name` set lifts the reservation; the keywords that can also
    // start an expression are valid there as keywords, so they are listed.
    param: $ => seq(
      optional(seq(
        field('name', choice(
          reserved('any_name', alias($.identifier, $.member)),
          alias('true', $.member),
          alias('false', $.member),
          alias('null', $.member),
          alias('not', $.member),
        )),
        ':',
      )),
      field('value', $._expression),
    ),

    // ------------------------------------------------------------ options
    _option: $ => choice(
      $.key_option,
      $.limit_option,
      $.once_option,
      $.priority_option,
      $.quiet_option,
      $.goal_option,
      $.holdout_option,
      $.tag_option,
    ),

    key_option: $ => seq('key', $._expression),

    limit_option: $ => seq(
      'limit', field('count', $.integer), 'per', field('window', $.duration),
    ),

    once_option: _ => 'once',

    priority_option: $ => seq('priority', optional('-'), field('value', $.integer)),

    quiet_option: $ => seq(
      'quiet', field('start', $.clock), '-', field('end', $.clock),
      optional(seq('in', field('timezone', $._expression))),
    ),

    goal_option: $ => seq(
      'goal', $.event_name, optional($.filter),
      'within', field('window', $.duration),
    ),

    holdout_option: $ => seq('holdout', $.percent),

    tag_option: $ => seq('tag', field('name', $.identifier)),

    // ------------------------------------------------------------ expressions
    // One level per pest rule, loosest first: or, and, not, comparison, ??,
    // + -, * /, unary minus. Left recursion gives left associativity; the
    // levels make `a == not b` an error, as in pest, where precedences alone
    // would accept it.
    _expression: $ => choice(
      alias($._or_expression, $.binary_expression),
      $._and_level,
    ),
    _or_expression: $ => seq(
      field('left', $._expression), field('operator', 'or'), field('right', $._and_level),
    ),

    _and_level: $ => choice(alias($._and_expression, $.binary_expression), $._not_level),
    _and_expression: $ => seq(
      field('left', $._and_level), field('operator', 'and'), field('right', $._not_level),
    ),

    // Inside `where`, a top-level `and not` ends the filter (it starts an
    // absence); `or`, and `and not` inside parentheses, are as usual.
    _filter_expression: $ => choice(
      alias($._filter_or_expression, $.binary_expression),
      $._filter_and_level,
    ),
    _filter_or_expression: $ => seq(
      field('left', $._filter_expression), field('operator', 'or'),
      field('right', $._filter_and_level),
    ),
    _filter_and_level: $ => choice(
      alias($._filter_and_expression, $.binary_expression),
      $._not_level,
    ),
    _filter_and_expression: $ => seq(
      field('left', $._filter_and_level), field('operator', 'and'),
      field('right', $._comparison_level),
    ),

    _not_level: $ => choice(alias($._not_expression, $.unary_expression), $._comparison_level),
    _not_expression: $ => seq(field('operator', 'not'), field('operand', $._not_level)),

    // Chains (`a < b < c`) parse, as in pest; the checker rejects them.
    _comparison_level: $ => choice(
      alias($._comparison, $.binary_expression),
      $._coalesce_level,
    ),
    _comparison: $ => seq(
      field('left', $._comparison_level),
      field('operator', choice(
        '==', '!=', '<=', '>=', '<', '>',
        seq('not', 'in'), 'in',
        seq('not', 'contains'), 'contains',
        seq('starts', 'with'),
      )),
      field('right', $._coalesce_level),
    ),

    _coalesce_level: $ => choice(alias($._coalesce, $.binary_expression), $._additive_level),
    _coalesce: $ => seq(
      field('left', $._coalesce_level), field('operator', '??'),
      field('right', $._additive_level),
    ),

    _additive_level: $ => choice(alias($._additive, $.binary_expression), $._multiplicative_level),
    _additive: $ => seq(
      field('left', $._additive_level), field('operator', choice('+', '-')),
      field('right', $._multiplicative_level),
    ),

    _multiplicative_level: $ => choice(
      alias($._multiplicative, $.binary_expression),
      $._unary_level,
    ),
    _multiplicative: $ => seq(
      field('left', $._multiplicative_level), field('operator', choice('*', '/')),
      field('right', $._unary_level),
    ),

    _unary_level: $ => choice(alias($._negation, $.unary_expression), $._atom),
    _negation: $ => seq(field('operator', '-'), field('operand', $._unary_level)),

    _atom: $ => choice(
      $.duration,
      $.number,
      $.string,
      $.true,
      $.false,
      $.null,
      $.list,
      $.path,
      $.parenthesized_expression,
    ),

    true: _ => 'true',
    false: _ => 'false',
    null: _ => 'null',

    list: $ => seq('[', optional(commaSep1($._expression)), ']'),

    // Paths start with `event`, an alias, `customer` or `now`; which of them
    // is the checker's business, not the parser's.
    path: $ => seq($.identifier, repeat(seq(token.immediate('.'), $.member))),

    parenthesized_expression: $ => seq('(', $._expression, ')'),
  },
});

// The words the rules above spell out must be exactly KEYWORDS: a keyword
// added to the language but not here, or a typo in a rule, stops generation.
{
  const used = new Set();
  const visit = node => {
    if (node === null || typeof node !== 'object') return;
    if (node.type === 'STRING' && /^[a-z]+$/.test(node.value)) used.add(node.value);
    for (const value of Object.values(node)) visit(value);
  };
  visit(trig.grammar.rules);
  const missing = KEYWORDS.filter(k => !used.has(k));
  const extra = [...used].filter(k => !KEYWORDS.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `grammar.js: keywords not used by any rule: [${missing}]; ` +
      `words used but not in KEYWORDS: [${extra}]`,
    );
  }
}

module.exports = trig;
