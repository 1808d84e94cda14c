" Vim indent file
" Language:     trig (behavioral trigger rules, *.trig)
" Maintainer:   the trig project, editors/vim/
"
" The layout of `trig fmt` (src/fmt/mod.rs):
"   rule NAME:                      0
"     when TRIGGER                  2 (0 in a rule without a header)
"       followed by …, for D,       4: continuation lines of a clause
"       and not …, with (…)
"         name: value,              6: items of a `with (…)` split over lines
"       )                           4: the line of the `(`
"     if/unless/then/fallback/      2: each clause
"     key/limit/once/priority/
"     quiet/goal/holdout/tag
" Comment lines above a rule stay at the margin; inside a rule they take
" the clause indentation.
"
" Legacy Vim script: works in Vim 8+/9 and Neovim 0.7+.

if exists('b:did_indent')
  finish
endif
let b:did_indent = 1

setlocal autoindent
setlocal indentexpr=GetTrigIndent(v:lnum)
" Re-indent when a line starts with a clause keyword or a continuation
" word, with `)` or `]`, or with `#`.
setlocal indentkeys=!^F,o,O,0),0],0#
setlocal indentkeys+=0=rule,0=when,0=if,0=unless,0=then,0=fallback
setlocal indentkeys+=0=key,0=limit,0=once,0=priority,0=quiet,0=goal
setlocal indentkeys+=0=holdout,0=tag,0=followed,0=and,0=or,0=for,0=with

let b:undo_indent = 'setlocal autoindent< indentexpr< indentkeys<'

if exists('*GetTrigIndent')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

let s:clause = '^\s*\%(if\|unless\|then\|fallback\|key\|limit\|once\|priority\|quiet\|goal\|holdout\|tag\)\>'
let s:header = '^\s*rule\>.*:\s*\%(#.*\)\=$'
" A line that cannot be the last one of its clause: it ends with an operator
" or a keyword other than `once`, `true`, `false` and `null`.
let s:open_end = '\%(\<\%(rule\|when\|then\|fallback\|if\|unless\|and\|or\|not\|for\|within\|times\|first\|inactive\|followed\|by\|as\|where\|send\|template\|lang\|with\|key\|limit\|per\|priority\|quiet\|goal\|holdout\|tag\|in\|starts\|contains\)\|[-+*/<>=?!,([]\)\s*\%(#.*\)\=$'

" The previous line that is neither blank nor a comment, or 0; stops at a
" blank line (rules are separated by one) when a:in_rule is set.
function! s:PrevCode(lnum, in_rule) abort
  let lnum = a:lnum - 1
  while lnum > 0
    let line = getline(lnum)
    if line =~# '^\s*$'
      if a:in_rule
        return 0
      endif
    elseif line !~# '^\s*#'
      return lnum
    endif
    let lnum -= 1
  endwhile
  return 0
endfunction

function! s:InStringOrComment(lnum, col) abort
  let name = synIDattr(synID(a:lnum, a:col, 0), 'name')
  return name =~# '^trig\%(String\|Text\|Escape\|BraceEscape\|Comment\|Todo\)$'
endfunction

" The line of the `(` or `[` still open at the start of a:lnum, or 0. Looks
" back to the start of the rule (a blank line or a `rule` line) only.
function! s:OpenBracket(lnum) abort
  let stop = a:lnum - 1
  while stop > 1 && getline(stop) !~# '^\s*$' && getline(stop) !~# '^\s*rule\>'
    let stop -= 1
  endwhile
  if stop < 1
    return 0
  endif
  call cursor(a:lnum, 1)
  return searchpair('[([]', '', '[])]', 'bnW',
        \ 's:InStringOrComment(line("."), col("."))', stop)
endfunction

function! GetTrigIndent(lnum) abort
  let line = getline(a:lnum)
  let sw = shiftwidth()

  " A `rule` header is at the margin, and so is everything before any rule.
  if line =~# '^\s*rule\>'
    return 0
  endif
  let prev = s:PrevCode(a:lnum, 1)

  " Inside `with (…)` or `[…]` split over lines: one level more than the
  " line of the bracket, the closing bracket at its level.
  let open = prev > 0 ? s:OpenBracket(a:lnum) : 0
  if open > 0
    return line =~# '^\s*[])]' ? indent(open) : indent(open) + sw
  endif

  if line =~# '^\s*#'
    " Comment lines: at the margin above a rule, at the clause level in it.
    return prev > 0 ? sw : 0
  endif
  if prev == 0
    return 0
  endif
  if line =~# '^\s*when\>'
    return getline(prev) =~# s:header ? sw : 0
  endif
  if line =~# s:clause
    return sw
  endif
  if line =~# '^\s*$'
    " A new line: a continuation after an unfinished line, else a clause.
    if getline(prev) =~# s:header
      return sw
    endif
    return getline(prev) =~# s:open_end ? 2 * sw : sw
  endif
  " Anything else continues the clause before it.
  return 2 * sw
endfunction

let &cpo = s:cpo_save
unlet s:cpo_save
