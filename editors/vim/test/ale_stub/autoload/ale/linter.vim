" Stand-in for ALE's ale#linter#Define, for check.vim: records the calls in
" g:trig_test_ale_linters.

function! ale#linter#Define(filetype, linter) abort
  let g:trig_test_ale_linters = get(g:, 'trig_test_ale_linters', [])
  call add(g:trig_test_ale_linters, [a:filetype, a:linter])
endfunction
