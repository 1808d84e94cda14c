" Vim filetype plugin
" Language:     trig (behavioral trigger rules, *.trig)
" Maintainer:   the trig project, editors/vim/
"
" Legacy Vim script: works in Vim 8+/9 and Neovim 0.7+.

if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

let s:cpo_save = &cpo
set cpo&vim

" `#` comments to the end of the line; `gcc`-style plugins and `gq` use these.
setlocal commentstring=#\ %s
setlocal comments=:#
" Wrap comments (not code) at 'textwidth', continue them on <Enter> and
" `o`, let `gq` format them, and leave long lines alone while typing.
setlocal formatoptions-=t formatoptions+=c formatoptions+=r formatoptions+=o
setlocal formatoptions+=q formatoptions+=l

" `gf` on a rule file name without its extension.
setlocal suffixesadd=.trig

" The layout of `trig fmt`: clauses indented 2, continuation lines 4,
" spaces only.
setlocal expandtab shiftwidth=2 softtabstop=2

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions<'
      \ . ' suffixesadd< expandtab< shiftwidth< softtabstop<'

" `:make` runs `trig check` (the compiler/trig.vim settings), unless
" g:trig_no_compiler is set or another compiler was chosen for the buffer.
if !exists('g:trig_no_compiler') && !exists('b:current_compiler')
  compiler trig
  let b:undo_ftplugin .= ' | setlocal makeprg< errorformat<'
        \ . ' | unlet! b:current_compiler'
endif

let &cpo = s:cpo_save
unlet s:cpo_save
