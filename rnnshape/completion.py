"""Shell completion that knows the spec grammar: kinds, a wrapper's cells, the
flags valid after `kind:N:`, activation names after `act=`, flag values, option
values, and file paths for the file options.

The scripts (`rnnshape completion bash|zsh|fish`) are small: each hands the
command line up to the cursor to `rnnshape` in the environment variable
_RNNSHAPE_COMPLETE_LINE, and offers what it prints, a candidate a line
("plain<TAB>value", or "file<TAB>" for a file path). The work is done here, with
click's own resolution of commands and options, so all three shells offer the
same words. Nothing here imports numpy or rich.
"""

from __future__ import annotations

import shlex

import click
from click.shell_completion import CompletionItem, ShellComplete

from .kinds import ACTIVATIONS, KINDS, WRAPPED_KINDS
from .reference import choices
from .spec import FLAGS, MODEL_FLAGS, wrapped_flags

LINE_VARIABLE = "_RNNSHAPE_COMPLETE_LINE"
SHELLS = ("bash", "zsh", "fish")


def complete_spec(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Candidates for the spec being typed (the last one, where a quoted word holds several)."""
    head, _, current = incomplete.rpartition(" ")
    before = head + " " if head else ""
    return [CompletionItem(before + candidate) for candidate in spec_candidates(current)]


def spec_candidates(current: str) -> list[str]:
    """Whole spec words that continue ``current``: 'ls' -> 'lstm:'; 'lstm:8:s' ->
    'lstm:8:seq', 'lstm:8:state', 'lstm:8:stateful'; 'lstm:8:act=re' -> 'lstm:8:act=relu', ..."""
    fields = current.split(":")
    typed, done = fields[-1], fields[:-1]
    if not done:  # the kind word
        return sorted(word + (":" if _takes_fields(word) else "") for word in KINDS if word.startswith(typed.lower()))
    kind = KINDS.get(done[0].lower())
    if kind is None:
        return []
    prefix = ":".join(done) + ":"
    cells = WRAPPED_KINDS.get(kind, {})
    if len(done) == 1 and cells and not typed.isdigit():  # bi:lstm:, td:dense: (bi:8 is bi:simple:8)
        return sorted(prefix + cell + ":" for cell in cells if cell.startswith(typed.lower()))
    cell = cells.get(done[1].lower()) if cells and len(done) > 1 else None
    layer_kind = cell or (next(iter(cells.values())) if cells else kind)
    positional = done[2:] if cell else done[1:]
    fields_left = [field for field in layer_kind.positional if field.default is None][len(positional):]
    if fields_left:  # a number (or a name) comes next
        if fields_left[0].type == "activation":
            return sorted(prefix + name for name in ACTIVATIONS if name.startswith(typed))
        return []
    if "=" in typed:
        flag, _, value = typed.partition("=")
        return sorted(f"{prefix}{flag}={choice}" for choice in _values(flag.lower(), kind) if choice.startswith(value))
    used = {field.split("=")[0].lower() for field in positional}
    allowed = wrapped_flags(kind, layer_kind) if cells else kind.flags
    flags = [flag for flag in sorted(allowed | MODEL_FLAGS) if flag not in used]
    return [prefix + flag + ("" if FLAGS[flag][1] in ("on", "off") else "=") for flag in flags
            if flag.startswith(typed.lower())]  # fmt: skip


def _takes_fields(word: str) -> bool:
    """Whether a kind word is always followed by fields (or a cell): lstm:, bi:."""
    kind = KINDS[word]
    return bool(WRAPPED_KINDS.get(kind)) or any(field.default is None for field in kind.positional)


def _values(flag: str, kind) -> list[str]:
    how = FLAGS.get(flag, (None, None))[1]
    if how == "activation":
        return sorted(ACTIVATIONS)
    if how == "bool":
        return ["false", "true"]
    return list(choices(kind).get(flag, ())) if how == "choice" else []


def complete_file(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """A file path: the shell completes it."""
    return [CompletionItem(incomplete, type="file")]


def complete_line(command: click.Command, line: str) -> list[CompletionItem]:
    """The candidates for the last word of ``line`` (what the user typed up to the cursor)."""
    words = _split(line)
    incomplete = "" if not line or line[-1].isspace() else words.pop() if words else ""
    args = words[1:]  # after the program's name
    return ShellComplete(command, {}, "rnnshape", "_RNNSHAPE_COMPLETE").get_completions(args, incomplete)


def _split(line: str) -> list[str]:
    """The words of a command line, as the shell would split them; an unclosed
    quote is closed, so that the word being typed is whole."""
    for closing in ("", '"', "'"):
        try:
            return shlex.split(line + closing)
        except ValueError:
            continue
    return line.split()


def print_candidates(command: click.Command, line: str) -> None:
    for item in complete_line(command, line):
        value = "" if item.type == "file" else item.value
        print(f"{item.type}\t{value}")


SCRIPTS = {
    "bash": r'''# rnnshape completion for bash: source this file (rnnshape completion bash).
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
''',
    "zsh": r'''#compdef rnnshape
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
''',
    "fish": r'''# rnnshape completion for fish: save as ~/.config/fish/completions/rnnshape.fish
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
''',
}
