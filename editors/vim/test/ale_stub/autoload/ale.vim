" Stand-ins for the ALE functions ale_linters/trig/trig_lsp.vim calls, for
" check.vim (ALE itself is not needed to run the tests).

function! ale#Set(name, default) abort
  let g:ale_{a:name} = get(g:, 'ale_' . a:name, a:default)
endfunction

function! ale#Var(buffer, name) abort
  return getbufvar(a:buffer, 'ale_' . a:name, get(g:, 'ale_' . a:name, ''))
endfunction
