"""`hats completion bash|zsh|fish`: the shell's tab-completion script for hats.

Each script is a thin hook: at every TAB it hands the words typed after `hats` (one a line, on
stdin: words may start with `-` or be `--`) to the hidden `hats completion --complete`, which
walks hats' own parser (tui/completer.py) and prints the completions one a line. So a new
subcommand or option completes without touching the scripts, and its errors never reach the
terminal (stderr goes to /dev/null; a broken config completes nothing).
"""

from __future__ import annotations

import sys

BASH = r"""# hats completion for bash: source it, or put it in ~/.local/share/bash-completion/completions/hats
_hats() {
    local candidate quoted
    COMPREPLY=()
    while IFS= read -r candidate; do
        printf -v quoted '%q' "$candidate"
        COMPREPLY+=("$quoted")
    done < <(printf '%s\n' "${COMP_WORDS[@]:1:COMP_CWORD}" | command hats completion --complete 2>/dev/null)
}
complete -F _hats hats
"""

ZSH = r"""#compdef hats
# hats completion for zsh: save it as a file named _hats in a directory on $fpath, or source it
_hats() {
    local -a found
    found=(${(f)"$(print -rl -- "${(@)words[2,CURRENT]}" | command hats completion --complete 2>/dev/null)"})
    compadd -- "${found[@]}"
}
if [[ "${funcstack[1]}" = _hats ]]; then
    _hats "$@"
else
    compdef _hats hats
fi
"""

FISH = r"""# hats completion for fish: save it as ~/.config/fish/completions/hats.fish
function __hats_complete
    set -l before (commandline -opc)
    set -l current (commandline -ct)
    printf '%s\n' $before[2..-1] "$current" | command hats completion --complete 2>/dev/null
end
complete -c hats -f -a '(__hats_complete)'
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}


def add_parser(commands) -> None:
    import argparse

    completion = commands.add_parser("completion", help="print the tab-completion script for bash, zsh or fish")
    completion.add_argument("shell", nargs="?", choices=tuple(SCRIPTS))
    completion.add_argument("--complete", action="store_true", help=argparse.SUPPRESS)  # the scripts' hook
    completion.set_defaults(handler=cmd_completion)


def cmd_completion(args) -> int:
    from .errors import UsageError
    from .output import write_out

    if args.complete:
        from .completer import candidates

        words = sys.stdin.read().split("\n")[:-1] if sys.stdin else []
        write_out("".join(f"{candidate}\n" for candidate in candidates(words)))
    elif args.shell is None:
        raise UsageError("completion needs a shell: hats completion bash, zsh or fish")
    else:
        write_out(SCRIPTS[args.shell])
    return 0
