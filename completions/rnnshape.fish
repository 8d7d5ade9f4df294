# rnnshape completion for fish: save as ~/.config/fish/completions/rnnshape.fish
# (rnnshape completion fish > ~/.config/fish/completions/rnnshape.fish).
function __rnnshape_complete
    set -l line (commandline -cp)
    for reply in (env _RNNSHAPE_COMPLETE_LINE="$line" rnnshape 2>/dev/null)
        set -l parts (string split -m 1 \t -- $reply)
        if test "$parts[1]" = file
            __fish_complete_path (commandline -ct)
            return
        end
        string replace -r '.*\s' '' -- $parts[2]
    end
end
complete -c rnnshape -f -a '(__rnnshape_complete)'
