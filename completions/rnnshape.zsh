#compdef rnnshape
# rnnshape completion for zsh: put this file in a folder of $fpath as _rnnshape,
# or source it after compinit (rnnshape completion zsh).
_rnnshape() {
    local line="${BUFFER[1,CURSOR]}" reply kind value
    local -a plain spaced
    for reply in "${(@f)$(_RNNSHAPE_COMPLETE_LINE="$line" rnnshape 2>/dev/null)}"; do
        kind="${reply%%$'\t'*}"
        value="${reply#*$'\t'}"
        if [[ $kind == file ]]; then
            _files
            return
        fi
        [[ -z $value ]] && continue
        value="${value##*[[:space:]]}"
        if [[ $value == *[:=] ]]; then plain+=("$value"); else spaced+=("$value"); fi
    done
    (( $#plain )) && compadd -Q -S '' -- "${plain[@]}"
    (( $#spaced )) && compadd -Q -- "${spaced[@]}"
    return 0
}
if (( $+functions[compdef] )); then
    compdef _rnnshape rnnshape
fi
