# hats completion for bash: source it, or put it in ~/.local/share/bash-completion/completions/hats
# hats prints the candidates quoted for bash, one a line: they are split at newlines only, with
# globbing off, so a name is never expanded or split (and 10,000 of them need no loop here).
_hats() {
    local IFS=$'\n' globbing=1
    [[ $- == *f* ]] && globbing=
    set -f
    COMPREPLY=($(printf '%s\n' "${COMP_WORDS[@]:1:COMP_CWORD}" | command hats completion bash --complete 2>/dev/null))
    [[ -n $globbing ]] && set +f
    return 0
}
complete -F _hats hats
