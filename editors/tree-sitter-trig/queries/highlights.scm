; Syntax highlighting for trig, in Helix's capture names (Neovim falls back
; along the dots: @constant.numeric.integer → @constant).
;
; Editors disagree on which pattern wins when two capture the same node
; (tree-sitter's own highlighter: the first; Neovim and current Helix: the
; last), so no node here is captured by two patterns: words that are
; keywords in one place and operators in another are captured by their
; parent.

(comment) @comment

; ---------------------------------------------------------------- keywords

[
  "rule"
  "when"
  "then"
  "send"
  "fallback"
  "template"
  "lang"
  "for"
  "within"
  "times"
  "first"
  "inactive"
  "followed"
  "by"
  "as"
  "where"
  "key"
  "limit"
  "per"
  "priority"
  "quiet"
  "goal"
  "holdout"
  "tag"
] @keyword

(once_option) @keyword

[
  "if"
  "unless"
] @keyword.control.conditional

; `and not` of an absence, `with` before parameters, `in` of a time zone.
(absence
  [
    "and"
    "not"
  ] @keyword)

(params
  "with" @keyword)

(quiet_option
  "in" @keyword)

; Word operators: and, or, not, in, not in, contains, not contains,
; starts with.
(binary_expression
  operator: [
    "and"
    "or"
    "not"
    "in"
    "contains"
    "starts"
    "with"
  ] @keyword.operator)

(unary_expression
  operator: "not" @keyword.operator)

(event_group
  "or" @keyword.operator)

; ---------------------------------------------------------------- operators

(binary_expression
  operator: [
    "=="
    "!="
    "<"
    "<="
    ">"
    ">="
    "??"
    "+"
    "-"
    "*"
    "/"
  ] @operator)

(unary_expression
  operator: "-" @operator)

(priority_option
  "-" @operator)

; The dash between the two clock times of `quiet 21:00-09:00`.
(quiet_option
  "-" @punctuation.delimiter)

; ---------------------------------------------------------------- names

(header
  name: (identifier) @function)

; Event names read as the types of the events a rule watches.
(event_name
  (identifier) @type)

(event_name
  (member) @type)

(channel) @constant.builtin

(tag_option
  name: (identifier) @label)

(alias
  name: (identifier) @variable)

((path
  .
  (identifier) @variable.builtin)
  (#any-of? @variable.builtin "customer" "event" "now"))

((path
  .
  (identifier) @variable)
  (#not-any-of? @variable "customer" "event" "now"))

(path
  (member) @variable.other.member)

(param
  name: (member) @variable.parameter)

; ---------------------------------------------------------------- literals

[
  (string)
  (text)
] @string

[
  (escape_sequence)
  (brace_escape)
] @constant.character.escape

(interpolation
  [
    "{"
    "}"
  ] @punctuation.special)

[
  (true)
  (false)
] @constant.builtin.boolean

(null) @constant.builtin

(integer) @constant.numeric.integer

[
  (number)
  (duration)
  (clock)
  (percent)
] @constant.numeric

; ---------------------------------------------------------------- punctuation

[
  "("
  ")"
  "["
  "]"
] @punctuation.bracket

[
  ","
  ":"
  "."
] @punctuation.delimiter
