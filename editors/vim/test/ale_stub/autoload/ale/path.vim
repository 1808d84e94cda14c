" Stand-in for ALE's ale#path#FindNearestFile, for check.vim.

function! ale#path#FindNearestFile(buffer, filename) abort
  let l:dir = fnamemodify(bufname(a:buffer), ':p:h')
  let l:found = findfile(a:filename, escape(l:dir, ' ,;') . ';')
  return empty(l:found) ? '' : fnamemodify(l:found, ':p')
endfunction
