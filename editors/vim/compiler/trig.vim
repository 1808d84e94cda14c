" Vim compiler file
" Compiler:     trig check (behavioral trigger rules, *.trig)
" Maintainer:   the trig project, editors/vim/
"
" `:make` runs `trig check --format github`: one line per diagnostic,
"   ::error file=rules/cart.trig,line=3,col=8,endLine=3,endColumn=22,title=T0101 unknown-event::message%0Ahelp: …
" (src/diag/render/github.rs), with `::warning` for warnings and `::notice`
" for notes; a span over several lines has no col/endColumn. The message
" becomes "T0101 unknown-event::message…" (the code and its name first);
" `%0A` stands for a line break. Columns count characters (the same as
" Vim's byte columns on ASCII lines). The summary line
" ("checked N file(s): …") is dropped. A file name must consist of
" 'isfname' characters (no spaces): `%f` before `\,` matches only those.
"
" `:make` checks the project in the current folder (the nearest trig.toml
" upward); `:make %` checks the current file only.

if exists('current_compiler')
  finish
endif
let current_compiler = 'trig'

if exists(':CompilerSet') != 2
  command -nargs=* CompilerSet setlocal <args>
endif

let s:cpo_save = &cpo
set cpo&vim

CompilerSet makeprg=trig\ check\ --format\ github
CompilerSet errorformat=
      \::%trror\ file=%f\\,line=%l\\,col=%c\\,endLine=%*\\d\\,endColumn=%*\\d\\,title=%m,
      \::%tarning\ file=%f\\,line=%l\\,col=%c\\,endLine=%*\\d\\,endColumn=%*\\d\\,title=%m,
      \::%totice\ file=%f\\,line=%l\\,col=%c\\,endLine=%*\\d\\,endColumn=%*\\d\\,title=%m,
      \::%trror\ file=%f\\,line=%l\\,endLine=%*\\d\\,title=%m,
      \::%tarning\ file=%f\\,line=%l\\,endLine=%*\\d\\,title=%m,
      \::%totice\ file=%f\\,line=%l\\,endLine=%*\\d\\,title=%m,
      \%-G%.%#

let &cpo = s:cpo_save
unlet s:cpo_save
