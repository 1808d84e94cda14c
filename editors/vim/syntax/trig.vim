" Vim syntax file
" Language:     trig (behavioral trigger rules, *.trig)
" Maintainer:   the trig project, editors/vim/
" Source:       grammar/trig.pest is the syntax; src/syntax/lexer.rs the
"               keyword list and the token boundaries this file follows.
"
" Legacy Vim script: works in Vim 8+/9 and Neovim 0.7+.
"
" Every string, message text, `{…}` interpolation and event group ends at
" the end of its line at the latest, and no item spans lines, so a broken
" line (a missing quote, brace or parenthesis) never spoils the lines after
" it.

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
" Names are [A-Za-z_][A-Za-z0-9_]*; `.` is not part of a word, so `form` in
" `form.submitted` is one word (not the keyword `for`).
syn iskeyword @,48-57,_,192-255

" ------------------------------------------------------------ keywords
" All reserved words (src/syntax/lexer.rs KEYWORDS; tests/keywords.rs checks
" that the words of the `syn keyword trigKeyword` lines are exactly those,
" leaving out words with a `=`, so no other option may go on these lines).
" `contains` is also the name of a :syn option, which Vim takes it for when
" a space or `=` follows it: it must stay the last word of its line.
"
" The name after some keywords gets its own group through `nextgroup`: a
" trigAfter* item takes the blanks after the keyword (`skipwhite` cannot go
" on these lines) and hands over to the name.
syn keyword trigKeyword rule nextgroup=trigAfterRule
syn keyword trigKeyword when first by goal nextgroup=trigAfterEventKeyword
syn keyword trigKeyword send fallback nextgroup=trigAfterSend
syn keyword trigKeyword as nextgroup=trigAfterAs
syn keyword trigKeyword tag nextgroup=trigAfterTag
syn keyword trigKeyword then if unless and or not for within times inactive
syn keyword trigKeyword followed where template lang with key limit per once
syn keyword trigKeyword priority quiet holdout in starts true false null contains

" Finer groups for some of them. For a keyword defined twice the later
" definition wins, so these come after the list above. An `and` may start
" an absence, `and not EVENT`.
syn keyword trigConditional if unless
syn keyword trigWordOperator and nextgroup=trigAbsence skipwhite
syn keyword trigWordOperator or not in starts contains
syn keyword trigBoolean true false
syn keyword trigNull null

" ------------------------------------------------------------ names
" The rule name, the alias after `as`, the tag.
syn match trigAfterRule /\s\+/ contained nextgroup=trigRuleName
syn match trigRuleName /\h\w*/ contained
syn match trigAfterAs /\s\+/ contained nextgroup=trigAlias
syn match trigAlias /\h\w*/ contained
syn match trigAfterTag /\s\+/ contained nextgroup=trigTag
syn match trigTag /\h\w*/ contained

" The channel after `send` and `fallback`, and the message text after it.
syn match trigAfterSend /\s\+/ contained nextgroup=trigChannel
syn match trigChannel /\h\w*/ contained nextgroup=trigText skipwhite

" Event names, dotted or not: after `when`, `first`, `by` (of
" `followed by`), `goal`, in the `(a or b)` group of a trigger, and after
" the `and not` of an absence. A quoted event name is a plain string.
" `first` and `inactive` may follow `when`: they are no event names.
syn match trigAfterEventKeyword /\s\+/ contained nextgroup=trigEvent,trigEventGroup
syn match trigEvent /\%(\%(first\|inactive\)\>\)\@!\h\w*\%(\.\h\w*\)*/ contained
syn region trigEventGroup matchgroup=trigParen start=/(/ end=/)/ end=/$/ keepend oneline contained contains=trigEvent,trigWordOperator,trigString,trigComment
" An absence: `and not` and a name that is not a `customer.`/`event.`/`now`
" path, followed by what may follow an absence, not on an `if`/`unless`
" line (where `and not x` is a guard).
syn match trigAbsence /\%(^\s*\%(if\|unless\)\>.*\)\@<!not\s\+\%(\%(customer\|event\|now\)\>\)\@!\h\w*\%(\.\h\w*\)*\%(\s\+\%(as\|where\|within\|and\|then\|if\|unless\)\>\|\s*#\|\s*$\)\@=/ contained contains=trigWordOperator,trigEvent

" `customer`, `event` and `now` as roots of a path.
syn match trigBuiltin /\<\%(customer\|event\|now\)\>/

" A member after a dot may be any name, keywords included (`event.first`,
" `o.key`): the match starts at the dot, before any keyword could.
syn match trigAccess /\.\h\w*/ contains=trigMember
syn match trigMember /\h\w*/ contained

" Parameter names, `with (name: …, code: …)`, which may be keywords
" (`key:`): the match starts before the name, at `(`, `,` or the line start.
syn match trigParamStart /\%([(,]\|^\)\s*\h\w*\s*:\@=/ contains=trigParam
syn match trigParam /\h\w*/ contained

" ------------------------------------------------------------ comments
syn keyword trigTodo TODO FIXME XXX contained
syn match trigComment /#.*$/ contains=trigTodo,@Spell

" ------------------------------------------------------------ literals
" Where two of these start at the same place, the one defined last wins:
" a clock `21:30` over the number `21`, a percent `12.5%` over `12.5`.
syn match trigNumber /\<\d\+\%(\.\d\+\)\=\>/
syn match trigDuration /\<\%(\d\+\%(ms\|[smhdw]\)\)\+\>/
syn match trigClock /\<\d\d:\d\d\>/ nextgroup=trigQuietDash
syn match trigPercent /\<\d\+\%(\.\d\+\)\=%/

syn match trigOperator /==\|!=\|<=\|>=\|??\|[-+*\/<>]/
" The dash of a quiet window, `21:30-08:00`.
syn match trigQuietDash /-\ze\d\d:\d\d\>/ contained

" ------------------------------------------------------------ strings
" A plain string: escapes, no interpolation.
" An unknown escape (`\q`) is an error to `trig check` (T0003): defined
" first, so that the known escapes defined next win where both match.
syn match trigBadEscape /\\./ contained
syn match trigEscape /\\\%(u{[^}"]*}\|["\\nt]\)/ contained
syn region trigString start=/"/ skip=/\\\\\|\\"/ end=/"/ end=/$/ oneline extend contains=trigEscape,trigBadEscape,@Spell

" A message text, the string right after `send CHANNEL` or
" `fallback CHANNEL`: `{expr}` interpolates (strings inside are plain),
" `{{` and `}}` are literal braces, a lone `}` is an error. An unclosed `{`
" ends where the lexer ends it: at a quote after a name, `)` or `.` (which
" then closes the text), or at the end of the line.
syn cluster trigExpr contains=trigKeyword,trigConditional,trigWordOperator,trigBoolean,trigNull,trigBuiltin,trigAccess,trigNumber,trigDuration,trigClock,trigPercent,trigOperator,trigString
syn region trigInterpolation matchgroup=trigInterpBrace start=/{/ end=/}/ end=/$/ end=/\%(\%(\w\|[).]\)\s*\)\@40<="\@=/ contained extend contains=@trigExpr
syn match trigBraceError /}/ contained
syn match trigBraceEscape /{{\|}}/ contained
syn region trigText start=/"/ skip=/\\\\\|\\"/ end=/"/ end=/$/ keepend oneline contained contains=trigEscape,trigBadEscape,trigInterpolation,trigBraceError,trigBraceEscape,@Spell

" No item spans lines, so any line start is a safe place to begin; rule
" files are small, so start from the top and be always right.
syn sync fromstart

hi def link trigKeyword        Keyword
hi def link trigConditional    Conditional
hi def link trigWordOperator   Operator
hi def link trigBoolean        Boolean
hi def link trigNull           Constant
hi def link trigComment        Comment
hi def link trigTodo           Todo
hi def link trigNumber         Number
hi def link trigDuration       Number
hi def link trigClock          Number
hi def link trigPercent        Number
hi def link trigOperator       Operator
hi def link trigQuietDash      Delimiter
hi def link trigBuiltin        Special
hi def link trigAccess         Delimiter
hi def link trigMember         Identifier
hi def link trigRuleName       Function
hi def link trigAlias          Identifier
hi def link trigTag            Label
hi def link trigParam          Identifier
hi def link trigEvent          Type
hi def link trigParen          Delimiter
hi def link trigChannel        Constant
hi def link trigEscape         SpecialChar
hi def link trigBadEscape      Error
hi def link trigString         String
hi def link trigText           String
hi def link trigInterpBrace    Delimiter
hi def link trigBraceEscape    SpecialChar
hi def link trigBraceError     Error

let b:current_syntax = 'trig'

let &cpo = s:cpo_save
unlet s:cpo_save
