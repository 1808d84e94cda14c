#!/usr/bin/env bash
# Tests of editors/vim in every editor found on PATH: Vim (8+/9) and
# Neovim (0.7+). Each runs check.vim headless, without the user's
# configuration or plugins; an editor that is not installed is skipped
# (`SKIPPED: nvim not installed`), and the run fails when neither is.
#
# Prints `vim: N checks passed` / `nvim: N checks passed`, or each failed
# check (`FAIL file:line:col: what: expected X, got Y`); exits non-zero on
# any failure. Runs from any folder: paths are relative to this script.
#
#   editors/vim/test/run.sh
#
# TRIG_VIM_EDITORS="vim" (or "nvim") limits the run to those editors.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
check="$here/check.vim"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/trig-vim-test.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

editors="${TRIG_VIM_EDITORS:-vim nvim}"
# A hung editor (waiting for input, say) fails the run instead of blocking it.
limit=()
if command -v timeout >/dev/null 2>&1; then
    limit=(timeout 300)
fi
ran=0
failed=0

for editor in $editors; do
    if ! command -v "$editor" >/dev/null 2>&1; then
        echo "SKIPPED: $editor not installed"
        continue
    fi
    ran=$((ran + 1))
    result="$tmp/$editor.result"
    log="$tmp/$editor.log"
    rm -f "$result"
    # Neither reads a vimrc, a viminfo/shada file or plugins; HOME and the
    # XDG folders point into the temporary folder so that nothing of the
    # user's setup can leak in.
    status=0
    case "$editor" in
        vim)
            HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" \
                TRIG_REPO="$repo" TRIG_VIM_RESULT="$result" \
                ${limit[@]+"${limit[@]}"} vim -Nu NONE -i NONE -n -es -S "$check" \
                </dev/null >"$log" 2>&1 || status=$?
            ;;
        nvim)
            HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" \
                XDG_STATE_HOME="$tmp/state" XDG_CACHE_HOME="$tmp/cache" \
                TRIG_REPO="$repo" TRIG_VIM_RESULT="$result" \
                ${limit[@]+"${limit[@]}"} nvim --headless -u NONE -i NONE -n -S "$check" \
                </dev/null >"$log" 2>&1 || status=$?
            ;;
        *)
            echo "$editor: unknown editor (use vim or nvim)"
            failed=1
            continue
            ;;
    esac
    if [[ ! -s "$result" ]]; then
        echo "$editor: FAILED: check.vim did not finish (exit status $status)"
        sed 's/^/  /' "$log"
        failed=1
        continue
    fi
    last="$(tail -n 1 "$result")"
    if [[ "$status" -eq 0 && "$last" == passed\ * ]]; then
        echo "$editor: ${last#passed } checks passed"
    else
        grep '^FAIL ' "$result" | sed "s/^/$editor: /" || true
        echo "$editor: FAILED: $last (exit status $status)"
        failed=1
    fi
done

if [[ "$ran" -eq 0 ]]; then
    echo "FAILED: neither vim nor nvim is installed"
    exit 1
fi
exit "$failed"
