" Headless checks of editors/vim: filetype detection, the ftplugin settings,
" syntax groups, indentation and the :make errorformat. run.sh runs it in
" Vim (`vim -Nu NONE -i NONE -es`) and in Neovim (`nvim --headless -u NONE
" -i NONE`), with
"   $TRIG_REPO        the repository root
"   $TRIG_VIM_RESULT  the file to write the result to: one `FAIL …` line
"                     per failed check, then `passed N` or `failed F of N`.
" It quits with :cquit when a check failed and with :qall! otherwise.
"
" The keywords and channels are read from src/syntax/lexer.rs. Most syntax
" checks come from a small port of that lexer (s:Lex below): each token of
" each file gets the group its kind and the tokens around it call for, so
" the checks follow the files instead of fixed columns. The rest (event
" names, what is inside a message text, broken input) are checked at
" places found by searching for the text.
"
" Legacy Vim script only (Vim 8+/9, Neovim 0.7+).

set nocompatible
set encoding=utf-8
scriptencoding utf-8

let s:repo = substitute($TRIG_REPO, '[/\\]$', '', '')
let s:vimdir = s:repo . '/editors/vim'
let s:result = $TRIG_VIM_RESULT
let s:fails = []
let s:count = 0
let s:where = ''

" ------------------------------------------------------------ helpers

function! s:Fail(msg) abort
  call add(s:fails, 'FAIL ' . a:msg)
endfunction

" One check: a:what at a:pos (text) must equal a:want.
function! s:Eq(pos, what, got, want) abort
  let s:count += 1
  if a:got !=# a:want
    call s:Fail(a:pos . ': ' . a:what . ': expected ' . string(a:want)
          \ . ', got ' . string(a:got))
  endif
endfunction

function! s:True(pos, what, ok) abort
  let s:count += 1
  if !a:ok
    call s:Fail(a:pos . ': ' . a:what)
  endif
endfunction

function! s:Group(lnum, col) abort
  return synIDattr(synID(a:lnum, a:col, 1), 'name')
endfunction

function! s:Pos(lnum, col) abort
  return s:where . ':' . a:lnum . ':' . a:col
endfunction

function! s:Show(lnum, col, len) abort
  return ' `' . strpart(getline(a:lnum), a:col - 1, a:len) . '`'
endfunction

" The group at (a:lnum, a:col) must be a:want (a group name, or a list of
" accepted names).
function! s:GroupAt(lnum, col, want, ...) abort
  let got = s:Group(a:lnum, a:col)
  let what = 'group' . (a:0 ? a:1 : s:Show(a:lnum, a:col, 1))
  if type(a:want) == type([])
    let s:count += 1
    if index(a:want, got) < 0
      call s:Fail(s:Pos(a:lnum, a:col) . ': ' . what . ': expected one of '
            \ . string(a:want) . ', got ' . string(got))
    endif
  else
    call s:Eq(s:Pos(a:lnum, a:col), what, got, a:want)
  endif
endfunction

" The group at (a:lnum, a:col) must not be one of a:bad.
function! s:NotGroupAt(lnum, col, bad, what) abort
  let got = s:Group(a:lnum, a:col)
  let s:count += 1
  if index(a:bad, got) >= 0
    call s:Fail(s:Pos(a:lnum, a:col) . ': ' . a:what . ': expected none of '
          \ . string(a:bad) . ', got ' . string(got))
  endif
endfunction

" The first line matching a:line_pat, the column of the a:nth (default 1)
" occurrence of a:needle in it (a literal string): [lnum, col], or [0, 0].
function! s:Find(line_pat, needle, ...) abort
  let nth = a:0 ? a:1 : 1
  let lnum = 1
  while lnum <= line('$')
    let line = getline(lnum)
    if line =~# a:line_pat
      let col = -1
      for i in range(nth)
        let col = stridx(line, a:needle, col + 1)
        if col < 0
          break
        endif
      endfor
      if col >= 0
        return [lnum, col + 1]
      endif
    endif
    let lnum += 1
  endwhile
  return [0, 0]
endfunction

" The group at a:needle (literal) on the first line matching a:line_pat,
" a:offset bytes into it, must be a:want.
function! s:Expect(line_pat, needle, offset, want, ...) abort
  let [lnum, col] = call('s:Find', [a:line_pat, a:needle] + a:000)
  if lnum == 0
    let s:count += 1
    call s:Fail(s:where . ': no line matching /' . a:line_pat . '/ with `'
          \ . a:needle . '`')
    return
  endif
  call s:GroupAt(lnum, col + a:offset, a:want,
        \ ' at `' . a:needle . '`+' . a:offset)
endfunction

" The highlight group a:group links to, from `:hi`.
function! s:LinkOf(group) abort
  let out = execute('hi ' . a:group)
  return matchstr(out, 'links to \zs\S\+')
endfunction

" The words in double quotes of `pub const NAME: &[&str] = &[ … ];`.
function! s:RustList(text, name) abort
  let start = stridx(a:text, 'pub const ' . a:name . ':')
  if start < 0
    return []
  endif
  let open = stridx(a:text, '= &[', start)
  let close = stridx(a:text, '];', open)
  if open < 0 || close < 0
    return []
  endif
  let words = []
  call substitute(a:text[open : close], '"\([^"]*\)"',
        \ '\=add(words, submatch(1))', 'g')
  return words
endfunction

" ------------------------------------------------------------ the lexer
" A port of src/syntax/lexer.rs `tokenize`: tokens are dicts with kind
" (comment word duration clock number percent str lparen rparen lbracket
" rbracket comma colon dot coalesce operator error), sub (for words:
" keyword channel name; for strings: plain text unterminated), text, lnum,
" col (1-based byte column) and len. Tokens never span lines.

let s:punct = {'(': 'lparen', ')': 'rparen', '[': 'lbracket', ']': 'rbracket',
      \ ',': 'comma', ':': 'colon', '.': 'dot'}
let s:numeric = [
      \ ['duration', '^\d\+\%(ms\|[smhdw]\)\%(\d\+\%(ms\|[smhdw]\)\)*'],
      \ ['clock', '^\d\d:\d\d'],
      \ ['number', '^\d\+\%(\.\d\+\)\='],
      \ ['percent', '^\d\+\%(\.\d\+\)\=%']]

function! s:Significant(toks) abort
  return filter(copy(a:toks), 'v:val.kind !=# "comment"')
endfunction

" A text follows `send CHANNEL` and `fallback CHANNEL`.
function! s:OpensText(toks) abort
  let sig = s:Significant(a:toks)
  if len(sig) < 2
    return 0
  endif
  let [before, last] = sig[-2 :]
  return last.kind ==# 'word' && last.sub !=# 'keyword'
        \ && before.kind ==# 'word' && before.sub ==# 'keyword'
        \ && (before.text ==# 'send' || before.text ==# 'fallback')
endfunction

function! s:AfterWord(before) abort
  let b = substitute(a:before, '\s\+$', '', '')
  return b =~# '[[:alnum:]_).]$'
endfunction

" From the opening quote at byte a:pos: [end (exclusive), kind].
function! s:ScanString(line, pos, text_mode) abort
  let depth = 0
  let in_inner = 0
  let i = a:pos + 1
  let n = len(a:line)
  while i < n
    let c = a:line[i]
    if c ==# '\'
      if i + 1 < n
        let i += 1
      endif
    elseif c ==# '"' && in_inner
      let in_inner = 0
    elseif c ==# '"' && depth > 0 && !s:AfterWord(strpart(a:line, a:pos + 1, i - a:pos - 1))
      let in_inner = 1
    elseif c ==# '"'
      return [i + 1, a:text_mode ? 'text' : 'plain']
    elseif in_inner || !a:text_mode
      " nothing
    elseif c ==# '{' && depth == 0 && a:line[i + 1] ==# '{'
      let i += 1
    elseif c ==# '{'
      let depth += 1
    elseif c ==# '}' && depth > 0
      let depth -= 1
    endif
    let i += 1
  endwhile
  return [n, 'unterminated']
endfunction

function! s:Lex(lines) abort
  let toks = []
  let lnum = 0
  for line in a:lines
    let lnum += 1
    let pos = 0
    let n = len(line)
    while pos < n
      let c = line[pos]
      let kind = ''
      let sub = ''
      let size = 1
      if c =~# '[ \t\r]'
        let pos += 1
        continue
      elseif strpart(line, pos, 3) ==# "\xef\xbb\xbf"
        let pos += 3
        continue
      elseif c ==# '#'
        let [kind, size] = ['comment', n - pos]
      elseif c ==# '"'
        let [end, sub] = s:ScanString(line, pos, s:OpensText(toks))
        let [kind, size] = ['str', end - pos]
      elseif c =~# '[A-Za-z_]'
        let word = matchstr(line, '^[A-Za-z_][A-Za-z0-9_]*', pos)
        let kind = 'word'
        let size = len(word)
        let sub = index(s:keywords, word) >= 0 ? 'keyword'
              \ : index(s:channels, word) >= 0 ? 'channel' : 'name'
      elseif c =~# '\d'
        let size = 0
        for [k, pat] in s:numeric
          let m = matchstr(line, pat, pos)
          if len(m) > size
            let [kind, size] = [k, len(m)]
          endif
        endfor
      elseif strpart(line, pos, 2) ==# '??'
        let [kind, size] = ['coalesce', 2]
      elseif has_key(s:punct, c)
        let kind = s:punct[c]
      else
        let m = matchstr(line, '^\%(==\|!=\|<=\|>=\|<\|>\|+\|-\|\*\|/\)', pos)
        let [kind, size] = m ==# '' ? ['error', 1] : ['operator', len(m)]
      endif
      call add(toks, {'kind': kind, 'sub': sub, 'text': strpart(line, pos, size),
            \ 'lnum': lnum, 'col': pos + 1, 'len': size})
      let pos += size
    endwhile
  endfor
  return toks
endfunction

" ------------------------------------------------------------ token checks

let s:kw_groups = ['trigKeyword', 'trigConditional', 'trigWordOperator',
      \ 'trigBoolean', 'trigNull']
let s:kw_special = {'if': 'trigConditional', 'unless': 'trigConditional',
      \ 'and': 'trigWordOperator', 'or': 'trigWordOperator',
      \ 'not': 'trigWordOperator', 'in': 'trigWordOperator',
      \ 'contains': 'trigWordOperator', 'starts': 'trigWordOperator',
      \ 'true': 'trigBoolean', 'false': 'trigBoolean', 'null': 'trigNull'}
let s:string_groups = ['trigString', 'trigText', 'trigEscape', 'trigBadEscape',
      \ 'trigInterpolation', 'trigInterpBrace', 'trigBraceEscape',
      \ 'trigBraceError']

function! s:KeywordGroup(word) abort
  return get(s:kw_special, a:word, 'trigKeyword')
endfunction

function! s:IsKw(tok, ...) abort
  return !empty(a:tok) && a:tok.kind ==# 'word' && a:tok.sub ==# 'keyword'
        \ && (a:0 == 0 || index(a:000, a:tok.text) >= 0)
endfunction

" Checks every token of the current buffer against the group its kind and
" neighbours call for. Records in s:seen_keywords which keywords were met
" as keywords.
function! s:CheckTokens() abort
  let toks = s:Lex(getline(1, '$'))
  let sig = s:Significant(toks)
  let in_group = 0
  let event_root = {}
  for i in range(len(sig))
    let t = sig[i]
    " The tokens before and after on the same line (the syntax file, like
    " `trig fmt`, keeps a keyword and the name it introduces on one line).
    let prev = i > 0 && sig[i - 1].lnum == t.lnum ? sig[i - 1] : {}
    let prev2 = i > 1 && sig[i - 2].lnum == t.lnum ? sig[i - 2] : {}
    let next = i + 1 < len(sig) && sig[i + 1].lnum == t.lnum ? sig[i + 1] : {}
    let adjacent_dot = !empty(prev) && prev.kind ==# 'dot'
          \ && prev.col + 1 == t.col
    let show = ' of ' . t.kind . ' `' . t.text . '`'
    if i > 0 && sig[i - 1].lnum != t.lnum
      let in_group = 0
    endif
    if t.kind ==# 'lparen' && (s:IsKw(prev, 'when', 'first', 'by'))
      let in_group = 1
    elseif t.kind ==# 'rparen'
      let in_group = 0
    endif

    if t.kind ==# 'word'
      if adjacent_dot
        " A member, or a later part of a dotted event name (2: of a name
        " not checked here).
        let root = get(event_root, t.lnum . ':' . (prev.col - 1), 0)
        if root
          let event_root[t.lnum . ':' . (t.col + t.len - 1)] = root
        endif
        if root != 2
          call s:GroupAt(t.lnum, t.col, root ? 'trigEvent' : 'trigMember', show)
        endif
        continue
      endif
      let param = !empty(next) && next.kind ==# 'colon'
            \ && (empty(prev) || prev.kind ==# 'lparen' || prev.kind ==# 'comma')
            \ && !s:IsKw(prev2, 'rule') && !s:IsKw(prev, 'rule')
      if t.sub ==# 'keyword'
        if param
          call s:GroupAt(t.lnum, t.col, 'trigParam', show)
        else
          call s:GroupAt(t.lnum, t.col, s:KeywordGroup(t.text), show)
          call s:GroupAt(t.lnum, t.col + t.len - 1, s:KeywordGroup(t.text), show)
          let s:seen_keywords[t.text] = 1
        endif
        continue
      endif
      let want = ''
      if s:IsKw(prev, 'send', 'fallback')
        let want = 'trigChannel'
      elseif s:IsKw(prev, 'rule')
        let want = 'trigRuleName'
      elseif s:IsKw(prev, 'tag')
        let want = 'trigTag'
      elseif s:IsKw(prev, 'as')
        let want = 'trigAlias'
      elseif s:IsKw(prev, 'when', 'first', 'by', 'goal')
            \ || (in_group && (prev.kind ==# 'lparen' || s:IsKw(prev, 'or')))
        let want = 'trigEvent'
      elseif param
        let want = 'trigParam'
      elseif s:IsKw(prev, 'not') && s:IsKw(prev2, 'and')
        " An absence or a negated guard: checked at known places below.
        let event_root[t.lnum . ':' . (t.col + t.len - 1)] = 2
        continue
      elseif index(['customer', 'event', 'now'], t.text) >= 0
        let want = 'trigBuiltin'
      endif
      if want ==# 'trigEvent'
        let event_root[t.lnum . ':' . (t.col + t.len - 1)] = 1
      endif
      if want ==# ''
        call s:NotGroupAt(t.lnum, t.col, s:kw_groups + s:string_groups
              \ + ['trigComment', 'trigNumber', 'trigDuration'],
              \ 'a plain name' . show)
      else
        call s:GroupAt(t.lnum, t.col, want, show)
        call s:GroupAt(t.lnum, t.col + t.len - 1, want, show)
      endif
    elseif t.kind ==# 'str'
      let want = t.sub ==# 'plain' ? 'trigString'
            \ : t.sub ==# 'text' ? 'trigText'
            \ : i > 0 && s:OpensText(sig[: i - 1]) ? 'trigText' : 'trigString'
      call s:GroupAt(t.lnum, t.col, want, show)
      if t.sub !=# 'unterminated'
        call s:GroupAt(t.lnum, t.col + t.len - 1, want, ' of its closing quote')
        if t.col + t.len <= len(getline(t.lnum))
          call s:NotGroupAt(t.lnum, t.col + t.len, s:string_groups,
                \ 'just after the string' . show)
        endif
      endif
    elseif index(['duration', 'clock', 'number', 'percent'], t.kind) >= 0
      let want = 'trig' . toupper(t.kind[0]) . t.kind[1 :]
      call s:GroupAt(t.lnum, t.col, want, show)
      call s:GroupAt(t.lnum, t.col + t.len - 1, want, show)
    elseif t.kind ==# 'operator' || t.kind ==# 'coalesce'
      let dash = t.text ==# '-' && !empty(prev) && prev.kind ==# 'clock'
            \ && !empty(next) && next.kind ==# 'clock'
      call s:GroupAt(t.lnum, t.col, dash ? 'trigQuietDash' : 'trigOperator', show)
    endif
  endfor
  for t in toks
    if t.kind ==# 'comment'
      call s:GroupAt(t.lnum, t.col, 'trigComment', ' of a comment')
      call s:GroupAt(t.lnum, t.col + t.len - 1, ['trigComment', 'trigTodo'],
            \ ' at the end of a comment')
    endif
  endfor
endfunction

" A scratch buffer of filetype trig holding a:lines, named a:name.
function! s:Scratch(name, lines) abort
  enew!
  setlocal buftype=nofile bufhidden=wipe noswapfile
  call setline(1, a:lines)
  setlocal filetype=trig
  let s:where = a:name
endfunction

" ------------------------------------------------------------ setup

let v:errmsg = ''
let &runtimepath = s:vimdir . ',' . &runtimepath
filetype plugin indent on
syntax on
call s:Eq('setup', 'error while enabling filetypes and syntax', v:errmsg, '')

let s:lexer_rs = join(readfile(s:repo . '/src/syntax/lexer.rs'), "\n")
let s:keywords = s:RustList(s:lexer_rs, 'KEYWORDS')
let s:channels = s:RustList(s:lexer_rs, 'CHANNELS')
call s:True('src/syntax/lexer.rs', 'KEYWORDS found', len(s:keywords) > 0)
call s:True('src/syntax/lexer.rs', 'CHANNELS found', len(s:channels) > 0)
let s:seen_keywords = {}

let s:files = [s:repo . '/editors/testdata/constructs.trig']
      \ + sort(glob(s:repo . '/examples/**/*.trig', 0, 1))

try

" ------------------------------------------------------------ files

for s:file in s:files
  let s:where = substitute(s:file, '^' . escape(s:repo, '\.*$^~[') . '/', '', '')
  let v:errmsg = ''
  execute 'silent edit ' . fnameescape(s:file)
  call s:Eq(s:where, 'no error while loading', v:errmsg, '')
  call s:Eq(s:where, '&filetype', &filetype, 'trig')
  call s:Eq(s:where, '&commentstring', &commentstring, '# %s')
  call s:Eq(s:where, 'b:current_syntax', get(b:, 'current_syntax', ''), 'trig')
  call s:CheckTokens()
endfor

" ------------------------------------------------------------ ftplugin

execute 'silent edit ' . fnameescape(s:files[0])
let s:where = 'ftplugin'
call s:Eq(s:where, '&l:comments', &l:comments, ':#')
call s:Eq(s:where, '&l:suffixesadd', &l:suffixesadd, '.trig')
call s:Eq(s:where, '&l:expandtab', &l:expandtab, 1)
call s:Eq(s:where, 'shiftwidth()', shiftwidth(), 2)
call s:Eq(s:where, '&l:softtabstop', &l:softtabstop, 2)
for s:flag in split('croql', '\zs')
  call s:True(s:where, "'formatoptions' has " . s:flag, stridx(&l:formatoptions, s:flag) >= 0)
endfor
call s:True(s:where, "'formatoptions' has no t", stridx(&l:formatoptions, 't') < 0)
call s:Eq(s:where, '&l:indentexpr', &l:indentexpr, 'GetTrigIndent(v:lnum)')
call s:Eq(s:where, '&l:makeprg', &l:makeprg, 'trig check --format github')
call s:True(s:where, 'b:undo_ftplugin set', exists('b:undo_ftplugin'))
call s:True(s:where, 'b:undo_indent set', exists('b:undo_indent'))
let v:errmsg = ''
silent! execute b:undo_ftplugin
silent! execute b:undo_indent
call s:Eq(s:where, 'error in b:undo_ftplugin/b:undo_indent', v:errmsg, '')
call s:Eq(s:where, '&l:commentstring after b:undo_ftplugin', &l:commentstring, &g:commentstring)
call s:Eq(s:where, '&l:indentexpr after b:undo_indent', &l:indentexpr, &g:indentexpr)

" ------------------------------------------------------------ links

let s:links = {
      \ 'trigKeyword': 'Keyword', 'trigConditional': 'Conditional',
      \ 'trigWordOperator': 'Operator', 'trigBoolean': 'Boolean',
      \ 'trigNull': 'Constant', 'trigComment': 'Comment', 'trigTodo': 'Todo',
      \ 'trigNumber': 'Number', 'trigDuration': 'Number', 'trigClock': 'Number',
      \ 'trigPercent': 'Number', 'trigOperator': 'Operator',
      \ 'trigString': 'String', 'trigText': 'String', 'trigEscape': 'SpecialChar',
      \ 'trigInterpBrace': 'Delimiter', 'trigBraceEscape': 'SpecialChar',
      \ 'trigEvent': 'Type', 'trigChannel': 'Constant', 'trigRuleName': 'Function',
      \ 'trigBuiltin': 'Special', 'trigMember': 'Identifier', 'trigTag': 'Label',
      \ 'trigAlias': 'Identifier', 'trigParam': 'Identifier',
      \ 'trigAccess': 'Delimiter', 'trigQuietDash': 'Delimiter',
      \ 'trigParen': 'Delimiter', 'trigBraceError': 'Error'}
let s:where = 'links'
for [s:group, s:target] in items(s:links)
  call s:Eq(s:where, s:group . ' links to', s:LinkOf(s:group), s:target)
endfor

" ------------------------------------------------------------ constructs.trig

execute 'silent edit ' . fnameescape(s:files[0])
let s:where = 'editors/testdata/constructs.trig'
" Event names.
call s:Expect('^when cart', 'cart.abandoned', 0, 'trigEvent')
call s:Expect('^when cart', 'abandoned', 0, 'trigEvent')
call s:Expect('^when cart', 'purchased', 0, 'trigEvent')
call s:Expect('followed by', 'profile.completed', 0, 'trigEvent')
call s:Expect('and not unsub', 'unsubscribed', 0, 'trigEvent')
call s:Expect('^  goal', 'order.completed', 0, 'trigEvent')
call s:Expect('^  goal', 'completed', 0, 'trigEvent')
call s:Expect('page.viewed or', 'page.viewed', 0, 'trigEvent')
call s:Expect('page.viewed or', 'product.viewed', 8, 'trigEvent')
call s:Expect('page.viewed or', '(page', 0, 'trigParen')
call s:Expect('page.viewed or', ' or ', 1, 'trigWordOperator')
call s:Expect('when first "order', '"order.completed"', 0, 'trigString')
" Paths: roots and members; members that are keywords elsewhere.
call s:Expect('if customer.vip', 'customer', 0, 'trigBuiltin')
call s:Expect('if customer.vip', '.vip', 0, 'trigAccess')
call s:Expect('if customer.vip', 'vip', 0, 'trigMember')
call s:Expect('goal order', 'event.total', 0, 'trigBuiltin')
call s:Expect('goal order', 'total', 0, 'trigMember')
call s:Expect('when first', 'o.items', 2, 'trigMember')
call s:Expect('quiet', 'customer.tz', 9, 'trigMember')
" Operators and literals.
call s:Expect('when first', '>=', 0, 'trigOperator')
call s:Expect('when first', '20.5', 3, 'trigNumber')
call s:Expect('if customer.vip', '==', 1, 'trigOperator')
call s:Expect('unless customer.email', '==', 0, 'trigOperator')
call s:Expect('^  priority', '-3', 0, 'trigOperator')
call s:Expect('^  priority', '-3', 1, 'trigNumber')
call s:Expect('^  quiet', '21:30', 0, 'trigClock')
call s:Expect('^  quiet', '21:30', 4, 'trigClock')
call s:Expect('^  quiet', '-08', 0, 'trigQuietDash')
call s:Expect('^  limit', '1d12h', 0, 'trigDuration')
call s:Expect('^  limit', '1d12h', 4, 'trigDuration')
call s:Expect('^  holdout', '12.5%', 0, 'trigPercent')
call s:Expect('^  holdout', '12.5%', 4, 'trigPercent')
call s:Expect('interest', '500ms', 0, 'trigDuration')
call s:Expect('interest', '90s', 0, 'trigDuration')
call s:Expect('interest', '-v.n', 0, 'trigOperator')
call s:Expect('interest', '/ 2', 0, 'trigOperator')
call s:Expect('not in \[', '"FR"', 0, 'trigString')
" Strings, escapes, parameters.
call s:Expect('template "welcome"', '"welcome"', 0, 'trigString')
call s:Expect('template "welcome"', '\t', 0, 'trigEscape')
call s:Expect('template "welcome"', '\t', 1, 'trigEscape')
call s:Expect('template "welcome"', 'Y"', 0, 'trigString')
call s:Expect('template "welcome"', 'name:', 0, 'trigParam')
call s:Expect('template "welcome"', 'code:', 0, 'trigParam')
call s:Expect('winback_offer', 'url:', 0, 'trigParam')
call s:Expect('winback_offer', '"15%"', 1, 'trigString')
" A message text: interpolations with a path, an operator and a nested
" plain string; `{{` `}}`; escapes.
let s:text = 'send sms "Hi {'
call s:Expect(s:text, '"Hi', 0, 'trigText')
call s:Expect(s:text, 'Hi {', 1, 'trigText')
call s:Expect(s:text, '{customer', 0, 'trigInterpBrace')
call s:Expect(s:text, '{customer', 1, 'trigBuiltin')
call s:Expect(s:text, 'first_name', 0, 'trigMember')
call s:Expect(s:text, '.first_name', 0, 'trigAccess')
call s:Expect(s:text, '??', 0, 'trigOperator')
call s:Expect(s:text, '??', 1, 'trigOperator')
call s:Expect(s:text, '"there"', 0, 'trigString')
call s:Expect(s:text, '"there"', 6, 'trigString')
call s:Expect(s:text, '"there"}', 7, 'trigInterpBrace')
call s:Expect(s:text, ', {{', 0, 'trigText')
call s:Expect(s:text, '{{literal', 0, 'trigBraceEscape')
call s:Expect(s:text, '{{literal', 1, 'trigBraceEscape')
call s:Expect(s:text, 'literal}}', 0, 'trigText')
call s:Expect(s:text, 'literal}}', 7, 'trigBraceEscape')
call s:Expect(s:text, '\"quoted', 0, 'trigEscape')
call s:Expect(s:text, '\"quoted', 1, 'trigEscape')
call s:Expect(s:text, 'quoted\"', 6, 'trigEscape')
call s:Expect(s:text, '\u{1F600}', 0, 'trigEscape')
call s:Expect(s:text, '\u{1F600}', 8, 'trigEscape')
call s:Expect(s:text, '{o.total', 0, 'trigInterpBrace')
call s:Expect(s:text, '{o.total', 1, 'trigInterpolation')
call s:Expect(s:text, '{o.total', 3, 'trigMember')
call s:Expect(s:text, '* 2', 0, 'trigOperator')
call s:Expect(s:text, '* 2', 2, 'trigNumber')
call s:Expect(s:text, '- 1}', 0, 'trigOperator')
call s:Expect(s:text, '- 1}', 3, 'trigInterpBrace')
call s:Expect(s:text, '1}"', 2, 'trigText')
call s:Expect('Thanks {p.name}', '{p.name}', 0, 'trigInterpBrace')
call s:Expect('Thanks {p.name}', '{p.name}', 3, 'trigMember')
call s:Expect('Thanks {p.name}', '{p.name}"', 8, 'trigText')
call s:Expect('Thanks {p.name}', 'Thanks', 0, 'trigText')
call s:Expect('fallback rcs', 'rcs', 0, 'trigChannel')
call s:Expect('fallback rcs', '"short"', 0, 'trigText')
call s:Expect('fallback rcs', '"short"', 6, 'trigText')
" Names.
call s:Expect('^rule every', 'every_trigger', 0, 'trigRuleName')
call s:Expect('^  tag', 'winback', 0, 'trigTag')
call s:Expect('^when cart', 'whatsapp', 0, 'trigChannel')
call s:Expect('as o where', ' o ', 1, 'trigAlias')
" Comments.
call s:Expect('^# Every construct', '#', 0, 'trigComment')
call s:Expect('^# Every construct', 'tests', 0, 'trigComment')
" The links, at a place in the file (the group the colour comes from).
let [s:l, s:c] = s:Find('^rule every', 'rule')
call s:Eq(s:Pos(s:l, s:c), 'synIDtrans of `rule`',
      \ synIDtrans(synID(s:l, s:c, 1)), synIDtrans(hlID('Keyword')))
let [s:l, s:c] = s:Find('^when cart', 'cart.abandoned')
call s:Eq(s:Pos(s:l, s:c), 'synIDtrans of an event name',
      \ synIDtrans(synID(s:l, s:c, 1)), synIDtrans(hlID('Type')))
let [s:l, s:c] = s:Find(s:text, '"Hi')
call s:Eq(s:Pos(s:l, s:c), 'synIDtrans of a text',
      \ synIDtrans(synID(s:l, s:c, 1)), synIDtrans(hlID('String')))
let [s:l, s:c] = s:Find('^# Every', '#')
call s:Eq(s:Pos(s:l, s:c), 'synIDtrans of a comment',
      \ synIDtrans(synID(s:l, s:c, 1)), synIDtrans(hlID('Comment')))

" ------------------------------------------------------------ examples

execute 'silent edit ' . fnameescape(s:repo . '/examples/cart_abandonment.trig')
let s:where = 'examples/cart_abandonment.trig'
call s:Expect('and not order', 'order.completed', 0, 'trigEvent')
call s:Expect('and not order', 'event.cart_id', 0, 'trigBuiltin')
call s:Expect('fallback sms', '{cart.url}', 0, 'trigInterpBrace')
call s:Expect('fallback sms', '{cart.url}', 6, 'trigMember')
call s:Expect('fallback sms', 'STOP', 0, 'trigText')
call s:Expect('with (customer', 'first_name', 0, 'trigMember')
execute 'silent edit ' . fnameescape(s:repo . '/examples/cascade.trig')
let s:where = 'examples/cascade.trig'
call s:Expect('and not review', 'review.submitted', 0, 'trigEvent')
call s:Expect('How was', '"your order"}', 0, 'trigString')
call s:Expect('How was', '"your order"}', 12, 'trigInterpBrace')
call s:Expect('How was', '? Tell', 0, 'trigText')

" ------------------------------------------------------------ every keyword

let s:lines = []
for s:kw in s:keywords
  call add(s:lines, s:kw)
  call add(s:lines, 'x ' . s:kw . ' y')
  call add(s:lines, 'when a where o.' . s:kw . ' == event.' . s:kw)
  call add(s:lines, 'when form.' . s:kw . ' then send sms "{x.' . s:kw . ' ?? ' . s:kw . '}"')
  call add(s:lines, 'then send email template "t" with (' . s:kw . ': 1, ' . s:kw . ': ' . s:kw . ')')
  call add(s:lines, s:kw . '_x ' . s:kw . '9 x' . s:kw . ' "' . s:kw . '" # ' . s:kw)
endfor
call s:Scratch('keywords', s:lines)
let s:lnum = 0
for s:kw in s:keywords
  let s:g = s:KeywordGroup(s:kw)
  let s:w = len(s:kw)
  " Alone, between names.
  call s:GroupAt(s:lnum + 1, 1, s:g, ' of keyword `' . s:kw . '`')
  call s:GroupAt(s:lnum + 2, 3, s:g, ' of keyword `' . s:kw . '`')
  call s:GroupAt(s:lnum + 2, 2 + s:w, s:g, ' of keyword `' . s:kw . '` (last char)')
  " After a dot: a member.
  call s:GroupAt(s:lnum + 3, 16, 'trigMember', ' of member `o.' . s:kw . '`')
  call s:GroupAt(s:lnum + 3, 15 + s:w + 11, 'trigMember', ' of member `event.' . s:kw . '`')
  " In a dotted event name.
  call s:GroupAt(s:lnum + 4, 11, 'trigEvent', ' of `form.' . s:kw . '`')
  " In a message text: a member, and the keyword itself.
  call s:GroupAt(s:lnum + 4, 30 + s:w, 'trigMember', ' of `{x.' . s:kw . '`')
  call s:GroupAt(s:lnum + 4, 34 + 2 * s:w, s:g, ' of keyword `' . s:kw . '` in {…}')
  " A parameter name.
  call s:GroupAt(s:lnum + 5, 36, 'trigParam', ' of parameter `' . s:kw . ':`')
  call s:GroupAt(s:lnum + 5, 41 + s:w, 'trigParam', ' of parameter `' . s:kw . ':` after `,`')
  call s:GroupAt(s:lnum + 5, 43 + 2 * s:w, s:g, ' of keyword `' . s:kw . '` as a value')
  " Inside longer words, strings and comments: not a keyword.
  let s:line = getline(s:lnum + 6)
  call s:NotGroupAt(s:lnum + 6, 1, s:kw_groups, '`' . s:kw . '_x`')
  call s:NotGroupAt(s:lnum + 6, s:w + 4, s:kw_groups, '`' . s:kw . '9`')
  call s:NotGroupAt(s:lnum + 6, 2 * s:w + 7, s:kw_groups, '`x' . s:kw . '`')
  call s:GroupAt(s:lnum + 6, 3 * s:w + 9, 'trigString', ' of `"' . s:kw . '"`')
  call s:GroupAt(s:lnum + 6, len(s:line), 'trigComment', ' of `# ' . s:kw . '`')
  let s:lnum += 6
endfor
call s:CheckTokens()
for s:kw in s:keywords
  call s:True('keywords', 'keyword `' . s:kw . '` met as a keyword', has_key(s:seen_keywords, s:kw))
endfor

" ------------------------------------------------------------ more constructs

call s:Scratch('more', [
      \ 'when (form.submitted or "Order Completed") where event.first == event.key then send sms "x"',
      \ 'when a as o where o.first > 1 then send sms "{o.first} {{x}} } {event.key}"',
      \ 'rule r:',
      \ '  when inactive for 4w',
      \ '  if o.total > 3 and not o.gift',
      \ '  then fallback whatsapp "{now}" # TODO: FIXME XXX',
      \ '  quiet 22:30-07:00 in customer.tz',
      \ '  when x within 1h30m then send sms "ok {(o.x + 1) * 2} {o.n / 2 <= 3}"',
      \ 'when b then send sms "a \q \n b" fallback email template "t\z\\"',
      \ ])
call s:Expect('form.sub', 'form', 0, 'trigEvent')
call s:Expect('form.sub', 'form', 3, 'trigEvent')
call s:Expect('form.sub', 'submitted', 0, 'trigEvent')
call s:Expect('form.sub', '"Order', 0, 'trigString')
call s:Expect('form.sub', 'Completed")', 10, 'trigParen')
call s:Expect('form.sub', 'first', 0, 'trigMember')
call s:Expect('form.sub', 'key', 0, 'trigMember')
call s:Expect('as o where', 'o.first', 2, 'trigMember')
call s:Expect('as o where', '{o.first}', 3, 'trigMember')
call s:Expect('as o where', '{{x}}', 0, 'trigBraceEscape')
call s:Expect('as o where', '} {event', 0, 'trigBraceError')
call s:Expect('as o where', '{event.key}', 7, 'trigMember')
call s:Expect('if o.total', 'o.gift', 2, 'trigMember')
call s:Expect('TODO', 'TODO', 0, 'trigTodo')
call s:Expect('TODO', 'FIXME', 0, 'trigTodo')
call s:Expect('TODO', 'XXX', 0, 'trigTodo')
call s:Expect('TODO', '{now}', 1, 'trigBuiltin')
call s:Expect('within 1h30m', '1h30m', 0, 'trigDuration')
call s:Expect('within 1h30m', '(o.x', 0, 'trigInterpolation')
call s:Expect('within 1h30m', '+ 1', 0, 'trigOperator')
call s:Expect('within 1h30m', '<=', 0, 'trigOperator')
call s:Expect('within 1h30m', '<= 3', 3, 'trigNumber')
" Unknown escapes are errors (T0003), known ones are not.
call s:Expect('when b then', '\q', 0, 'trigBadEscape')
call s:Expect('when b then', '\q', 1, 'trigBadEscape')
call s:Expect('when b then', '\n b', 1, 'trigEscape')
call s:Expect('when b then', '\z', 0, 'trigBadEscape')
call s:Expect('when b then', '\\"', 1, 'trigEscape')
call s:CheckTokens()

" ------------------------------------------------------------ broken input

" Each broken line is followed by a rule header, which must be highlighted
" as if the broken line were not there.
let s:broken = [
      \ 'when a then send sms "Hi {customer.name',
      \ 'when a then send sms "Hi {customer.name ?? "there',
      \ 'when a then send sms "{"}"',
      \ 'when a then send sms "Hi {oops" key x',
      \ 'when a then send sms "unterminated text',
      \ 'when a then send email template "unterminated plain',
      \ 'when a then send sms "x \',
      \ 'when "unterminated event',
      \ 'when (a or b',
      \ 'when (a or "b',
      \ 'when a then send email template "t" with (a: 1,',
      \ 'when a where (x.y == [1, 2',
      \ ]
let s:lines = []
for s:b in s:broken
  call extend(s:lines, [s:b, 'rule next:', '  when a then send sms "ok {x.y}"'])
endfor
call s:Scratch('broken', s:lines)
for s:i in range(len(s:broken))
  let s:l = 3 * s:i + 1
  let s:what = ' after `' . s:broken[s:i] . '`'
  call s:GroupAt(s:l + 1, 1, 'trigKeyword', ' of `rule`' . s:what)
  call s:GroupAt(s:l + 1, 4, 'trigKeyword', ' of `rule` (last char)' . s:what)
  call s:GroupAt(s:l + 1, 6, 'trigRuleName', ' of the rule name' . s:what)
  call s:GroupAt(s:l + 2, 3, 'trigKeyword', ' of `when`' . s:what)
  call s:GroupAt(s:l + 2, 24, 'trigText', ' of the next text' . s:what)
  call s:GroupAt(s:l + 2, 31, 'trigMember', ' of the path in the next text' . s:what)
endfor
" The broken lines themselves: a string or text reaches the end of its line.
call s:Expect('"Hi {customer.name$', 'name', 0, 'trigMember')
call s:Expect('"Hi {customer.name$', '"Hi', 0, 'trigText')
call s:Expect('"there$', '"there', 0, 'trigString')
call s:Expect('"there$', 'there', 4, 'trigString')
call s:Expect('"{"}"$', '"}"', 0, 'trigString')
call s:Expect('"{"}"$', '"}"', 2, 'trigString')
call s:Expect('{oops" key x', 'oops', 0, 'trigInterpolation')
call s:Expect('{oops" key x', '" key', 0, 'trigText')
call s:Expect('{oops" key x', 'key x', 0, 'trigKeyword')
call s:Expect('unterminated text', 'text', 3, 'trigText')
call s:Expect('unterminated plain', 'plain', 4, 'trigString')
call s:Expect('"x \\$', '\', 0, 'trigText')
call s:Expect('unterminated event', 'event', 4, 'trigString')
call s:Expect('when (a or b$', 'b', 0, 'trigEvent')
call s:CheckTokens()

" ------------------------------------------------------------ far from the top

" Highlighting deep in a long file, asked for without looking at the lines
" before it, is the same as near the top (syncing).
execute 'silent edit ' . fnameescape(s:files[0])
let s:one = getline(1, '$')
let s:many = []
for s:i in range(60)
  call extend(s:many, s:one)
endfor
call s:Scratch('long', s:many)
let s:off = 59 * len(s:one)
let [s:l, s:c] = s:Find(s:text, '"there"')
let s:l += s:off
call s:GroupAt(s:l, s:c, 'trigString', ' of `"there"` in the last copy')
call s:GroupAt(s:l, s:c + 7, 'trigInterpBrace', ' of `}` in the last copy')
call s:GroupAt(s:l + 1, 3, 'trigKeyword', ' of `fallback` in the last copy')
call s:GroupAt(s:off + 1, 1, 'trigComment', ' of the first comment in the last copy')
normal! G
call s:GroupAt(line('$'), 3, 'trigKeyword', ' of the last line')
normal! gg
call s:GroupAt(3, 1, 'trigKeyword', ' of `when` at the top')

" ------------------------------------------------------------ indentation

" `=` over a file laid out by `trig fmt` changes nothing, and typing a file
" (without its comments) line by line, starting each line at the margin,
" gives its layout back.
for s:file in s:files
  let s:where = substitute(s:file, '^' . escape(s:repo, '\.*$^~[') . '/', '', '')
  execute 'silent edit ' . fnameescape(s:file)
  let s:before = getline(1, '$')
  silent normal! gg=G
  let s:after = getline(1, '$')
  let s:diff = ''
  for s:i in range(len(s:before))
    if s:before[s:i] !=# s:after[s:i]
      let s:diff = (s:i + 1) . ': ' . string(s:after[s:i]) . ' instead of '
            \ . string(s:before[s:i])
      break
    endif
  endfor
  call s:Eq(s:where, 'line changed by =', s:diff, '')
  silent edit!

  let s:code = filter(copy(s:before), 'v:val !~# "^\\s*#"')
  call s:Scratch(s:where . ' (typed)', [])
  execute "normal! i" . join(map(copy(s:code), 'substitute(v:val, "^\\s*", "", "")'), "\r") . "\<Esc>"
  let s:typed = getline(1, '$')
  let s:diff = len(s:typed) == len(s:code) ? '' : len(s:typed) . ' lines'
  for s:i in range(min([len(s:code), len(s:typed)]))
    if s:code[s:i] !=# s:typed[s:i]
      let s:diff = (s:i + 1) . ': ' . string(s:typed[s:i]) . ' instead of '
            \ . string(s:code[s:i])
      break
    endif
  endfor
  call s:Eq(s:where, 'typed line', s:diff, '')
endfor

" ------------------------------------------------------------ :make

" The errorformat reads `trig check --format github`
" (src/diag/render/github.rs).
call s:Scratch('errorformat', [])
compiler trig
let s:where = 'errorformat'
let s:efm_file = tempname()
call writefile([
      \ '::error file=rules/cart.trig,line=3,col=8,endLine=3,endColumn=22,title=T0101 unknown-event::unknown event `cart.abandonned`%0Ahelp: did you mean `cart.abandoned`?',
      \ '::warning file=rules/win-back_2.trig,line=12,col=1,endLine=12,endColumn=5,title=T0107 unnamed-rule::this rule has no name; it is called `win-back_2:12`',
      \ '::notice file=x.trig,line=2,endLine=4,title=T0999 some-note::a note over three lines',
      \ 'checked 3 file(s): 1 rule(s) ready to run, 1 error(s), 1 warning(s)',
      \ ], s:efm_file)
" As :make reads its output: from a file, with the buffer's 'errorformat'.
execute 'cgetfile ' . fnameescape(s:efm_file)
call delete(s:efm_file)
let s:qf = getqflist()
call s:Eq(s:where, 'number of entries', len(s:qf), 3)
if len(s:qf) == 3
  let s:got = map(copy(s:qf), 'printf("%s:%d:%d:%s:%d", bufname(v:val.bufnr), v:val.lnum, v:val.col, v:val.type, v:val.valid)')
  call s:Eq(s:where, 'entry 1', s:got[0], 'rules/cart.trig:3:8:e:1')
  call s:Eq(s:where, 'entry 2', s:got[1], 'rules/win-back_2.trig:12:1:w:1')
  call s:Eq(s:where, 'entry 3', s:got[2], 'x.trig:2:0:n:1')
  call s:Eq(s:where, 'message 1', s:qf[0].text,
        \ 'T0101 unknown-event::unknown event `cart.abandonned`%0Ahelp: did you mean `cart.abandoned`?')
endif

" ------------------------------------------------------------ ALE

" ale_linters/trig/trig_lsp.vim against stand-ins for the ALE functions it
" calls (test/ale_stub/autoload; ALE itself is not needed).
let &runtimepath .= ',' . s:vimdir . '/test/ale_stub'
let g:trig_test_ale_linters = []
let s:where = 'ale_linters/trig/trig_lsp.vim'
let v:errmsg = ''
runtime! ale_linters/trig/*.vim
call s:Eq(s:where, 'error while sourcing', v:errmsg, '')
call s:Eq(s:where, 'linters defined', len(g:trig_test_ale_linters), 1)
if len(g:trig_test_ale_linters) == 1
  let [s:ft, s:linter] = g:trig_test_ale_linters[0]
  call s:Eq(s:where, 'filetype', s:ft, 'trig')
  call s:Eq(s:where, 'lsp', get(s:linter, 'lsp', ''), 'stdio')
  call s:Eq(s:where, 'command', get(s:linter, 'command', ''), '%e lsp')
  execute 'silent edit ' . fnameescape(s:repo . '/examples/winback.trig')
  call s:Eq(s:where, 'executable', s:linter.executable(bufnr('%')), 'trig')
  call s:Eq(s:where, 'project root of an example', s:linter.project_root(bufnr('%')),
        \ fnamemodify(s:repo . '/examples', ':p:h'))
  execute 'silent edit ' . fnameescape(s:files[0])
  call s:Eq(s:where, 'project root without trig.toml', s:linter.project_root(bufnr('%')),
        \ fnamemodify(s:files[0], ':p:h'))
endif

catch
  call s:Fail('exception: ' . v:exception . ' at ' . v:throwpoint)
endtry

" ------------------------------------------------------------ result

if empty(s:fails)
  call writefile(['passed ' . s:count], s:result)
  qall!
else
  call writefile(s:fails + ['failed ' . len(s:fails) . ' of ' . s:count], s:result)
  cquit!
endif
