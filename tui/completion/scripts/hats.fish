# hats completion for fish: save it as ~/.config/fish/completions/hats.fish
function __hats_complete
    set -l before (commandline -opc)
    set -l current (commandline -ct)
    printf '%s\n' $before[2..-1] "$current" | command hats completion --complete 2>/dev/null
end
complete -c hats -f -a '(__hats_complete)'
