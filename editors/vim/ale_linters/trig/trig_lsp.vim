" ALE linter for trig rule files: the trig language server (`trig lsp`,
" LSP over stdio). ALE loads this file itself once editors/vim is on
" 'runtimepath'; without ALE it is never read.
"
" The project root is the folder of the nearest trig.toml (where `trig
" check` reads the project from), else the file's folder.
" g:ale_trig_lsp_executable (or b:ale_trig_lsp_executable) picks the `trig`
" to run.

call ale#Set('trig_lsp_executable', 'trig')

function! ale_linters#trig#trig_lsp#GetProjectRoot(buffer) abort
  let l:config = ale#path#FindNearestFile(a:buffer, 'trig.toml')
  if !empty(l:config)
    return fnamemodify(l:config, ':h')
  endif
  return fnamemodify(bufname(a:buffer), ':p:h')
endfunction

call ale#linter#Define('trig', {
\   'name': 'trig_lsp',
\   'lsp': 'stdio',
\   'executable': {buffer -> ale#Var(buffer, 'trig_lsp_executable')},
\   'command': '%e lsp',
\   'project_root': function('ale_linters#trig#trig_lsp#GetProjectRoot'),
\})
