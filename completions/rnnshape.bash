# rnnshape completion for bash: source this file (rnnshape completion bash).
_rnnshape_complete() {
    local IFS=$'\n' line="${COMP_LINE:0:COMP_POINT}" reply kind value word prefix
    reply=$(env _RNNSHAPE_COMPLETE_LINE="$line" "${COMP_WORDS[0]}" 2>/dev/null) || return 0
    # bash splits words at ':' and '=' (COMP_WORDBREAKS): it replaces only what
    # follows the last of them, so that is what each candidate gives it.
    word="${line##*[[:space:]\'\"]}"
    prefix="${word%"${word##*[:=]}"}"
    COMPREPLY=()
    for reply in $reply; do
        kind="${reply%%$'\t'*}"
        value="${reply#*$'\t'}"
        if [[ $kind == file ]]; then
            compopt -o default
            COMPREPLY=()
            return 0
        fi
        value="${value##*[[:space:]]}"
        COMPREPLY+=("${value#"$prefix"}")
        [[ $value == *[:=] ]] && compopt -o nospace
    done
    return 0
}
complete -o nosort -F _rnnshape_complete rnnshape
