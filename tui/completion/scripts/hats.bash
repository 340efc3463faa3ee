# hats completion for bash: source it, or put it in ~/.local/share/bash-completion/completions/hats
_hats() {
    local candidate quoted
    COMPREPLY=()
    while IFS= read -r candidate; do
        printf -v quoted '%q' "$candidate"
        COMPREPLY+=("$quoted")
    done < <(printf '%s\n' "${COMP_WORDS[@]:1:COMP_CWORD}" | command hats completion --complete 2>/dev/null)
}
complete -F _hats hats
