"""The command line: options in, library calls, text out. Nothing else lives here.

Bad input of any kind ends with one message on stderr and exit status 2; an
unexpected exception is a bug and ends with status 1, never a traceback. Both
rules live in one place each: ``Commands.invoke`` turns the library's
``InputError`` into click's error for every command, and ``run`` turns
whatever ends the process into its ``ExitStatus``.
"""

from __future__ import annotations

import re
import sys

import click

from . import __version__
from .errors import ExitStatus, InputError, printable
from .kinds import KINDS, Embedding
from .shapes import DTYPE_BYTES, infer_graph
from .spec import parse, parse_dims

FORMATS = ("table", "plain", "markdown", "json", "csv")
MAX_SPEC_BYTES = 1024**2  # spec text read from a file or stdin
KERAS_CALL = re.compile(r"\s*(?:[A-Za-z_]\w*\.)*[A-Z]\w*\s*\(")  # a class called: Keras code, not specs
MIN_TABLE_WIDTH = 44  # the table is never narrower than 40 columns (Keras refuses below that)

SUMMARY_EXAMPLES = """
\b
Examples:
  rnnshape summary -i 2,10 simple:3
  rnnshape summary -i 10,5 'bi:8:seq bi:8:seq'
  rnnshape summary -t 10 -d 5 -b 8 lstm:16:seq gru:8 dense:1
  rnnshape summary -i 100 emb:5000:64 bi:lstm:32 --json
  rnnshape summary -i 100,8 conv1d:32:5:act=relu maxpool lstm:64 dense:1
  rnnshape summary -i 20,5 lstm:64 repeat:10 lstm:64:seq td:dense:8
  echo 'simple:8:seq  # comments are fine
        simple:8' | rnnshape summary -i None,5 -
"""


CODE_EXAMPLES = """
\b
Examples:
  rnnshape code --framework keras -i 10,5 'bi:8:seq bi:8:seq' dense:1
  rnnshape code --framework pytorch -i 10,5 'bi:8:seq bi:8:seq' dense:1 -o model.py --save-weights init.npz
  rnnshape code --framework pytorch --from m.keras --weights m.keras --save-weights state.npz -o model.py
"""


class BadInput(click.ClickException):
    """A library InputError, shown as click shows its own errors: 'Error: ...', exit 2.
    Whatever the user typed in it is shown escaped (errors.printable)."""

    exit_code = ExitStatus.BAD_INPUT

    def __init__(self, message: str):
        super().__init__(printable(message, keep="\n"))


class Commands(click.Group):
    """rnnshape's commands, with what they all share: a library InputError
    raised anywhere in a command is bad input (BadInput), and a command line
    that leaves out the command word is answered with the line that has it."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as error:
            raise BadInput(str(error)) from None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # click's parser consumes the list
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:  # rnnshape -i 10,5 lstm:8
            raise self._without_command(error, ctx, given) from None

    def resolve_command(self, ctx: click.Context, args: list[str]):
        given = list(args)
        try:
            return super().resolve_command(ctx, args)
        except click.NoSuchCommand as error:  # rnnshape lstm:8 -i 10,5
            raise self._without_command(error, ctx, given) from None

    def _without_command(self, error: click.UsageError, ctx: click.Context, args: list[str]) -> click.UsageError:
        """The error, with the line that has the command word when the line
        names no command and reads as a summary's: a spec, or summary's options."""
        import shlex

        if any(arg in self.commands for arg in args):
            return error
        if isinstance(error, click.NoSuchCommand):
            first = args[0].lower()
            reads_as_summary = ":" in first or first in KINDS  # not a misspelt command, which click answers
        else:
            options = {option for param in self.commands["summary"].params for option in param.opts}
            reads_as_summary = any(arg.split("=", 1)[0] in options or ":" in arg for arg in args)
        if not reads_as_summary:
            return error
        line = printable(shlex.join(["rnnshape", "summary", *args]))
        return click.UsageError(f"{error.format_message()} The command comes first; did you mean:\n  {line}", ctx)


class SpecCommand(click.Command):
    """A command that takes SPECs: its help ends with the grammar's kinds and
    flags, made from the kinds reference when the help is shown, so it can
    neither fall behind the kinds nor cost a start-up anything."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help_text(ctx, formatter)
        formatter.write_paragraph()
        from .reference import grammar_paragraph, kinds_reference

        with formatter.indentation():
            formatter.write_text(grammar_paragraph(kinds_reference()))


class ChoiceOf(click.Choice):
    """A click.Choice that also takes other words for a choice (aliases), shown
    nowhere but accepted: --framework torch is --framework pytorch."""

    def __init__(self, choices, aliases: dict[str, str]):
        super().__init__(choices, case_sensitive=False)
        self.aliases = aliases

    def convert(self, value, param, ctx):
        word = self.aliases.get(value.lower(), value) if isinstance(value, str) else value
        return super().convert(word, param, ctx)


# PyTorch is spelled 'pytorch' in every option, and 'torch' is taken too.
PYTORCH_ALIASES = {"torch": "pytorch"}


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="rnnshape")
def main() -> None:
    """Output shapes and parameter counts of recurrent Keras models, instantly.

    Describe a stack of layers in one line (simple:3 bi:lstm:8:seq dense:1) and
    get the table Keras's model.summary() would print, without Keras.
    """


def _complete_spec(ctx, param, incomplete):
    from .completion import complete_spec  # only completion needs it

    return complete_spec(ctx, param, incomplete)


def _complete_file(ctx, param, incomplete):
    from .completion import complete_file

    return complete_file(ctx, param, incomplete)


def stack_options(command):
    """The options every command that takes a stack takes: SPECs (or -f, or
    --from MODEL) and the input shape, batch and model name."""
    options = [
        click.argument("specs", nargs=-1, metavar="SPEC...", shell_complete=_complete_spec),
        click.option("-i", "--input", "input_text", metavar="T,D",
                     help="Input shape (timesteps, features); T may be None. Before an embedding: -i T."),
        click.option("-t", "--timesteps", metavar="T", help="Timesteps (Keras 2's input_length); may be None."),
        click.option("-d", "--input-dim", metavar="D", help="Features per timestep (Keras 2's input_dim)."),
        click.option("-b", "--batch", type=click.IntRange(min=1), help="Fixed batch size (default: None)."),
        click.option("-f", "--file", "spec_file", type=click.Path(dir_okay=False, allow_dash=True),
                     shell_complete=_complete_file,
                     help="Read the specs from FILE ('-' for stdin); '#' starts a comment."),
        click.option("--from", "model_path", metavar="MODEL", shell_complete=_complete_file,
                     help="Read the model from a saved Keras model (.keras, or the JSON of model.to_json()), "
                     "or from the Keras code that builds it (FILE.py, read without running it), instead of SPECs."),
        click.option("-D", "--define", "defines", metavar="NAME=VALUE", multiple=True,
                     help="With --from FILE.py: the value of a name the code computes from data "
                     "(-D vocab_size=20000); repeatable."),
        click.option("--model", "model_variable", metavar="NAME",
                     help="With --from FILE.py: the variable of the model to read (default: the last model built)."),
        click.option("--name", help="Model name (default: sequential for a stack, functional for a program, or "
                     "the saved model's)."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


@main.command(cls=SpecCommand, epilog=SUMMARY_EXAMPLES,
              short_help="The table Keras's model.summary() would print.")
@stack_options
@click.option("--format", "fmt", type=click.Choice(FORMATS, case_sensitive=False),
              help="Output format (default: table).")
@click.option("--json", "as_json", is_flag=True, help="Short for --format json.")
@click.option("--convention", type=ChoiceOf(["keras", "pytorch"], PYTORCH_ALIASES), default="keras",
              show_default=True, help="Count parameters as Keras does, or as PyTorch's modules do.")
@click.option("--dtype", type=click.Choice(list(DTYPE_BYTES), case_sensitive=False), default="float32",
              show_default=True, help="Weight dtype: the byte sizes, and the compute dtype of --run.")
@click.option("--details", is_flag=True, help="Add Input Shape and Mult-Adds columns, and the memory of a forward "
              "pass under the totals (with --run: statistics of every layer's output).")
@click.option("--expand", is_flag=True, help="Show the layers inside Bidirectional (forward_..., backward_...) and "
              "TimeDistributed, indented under them.")
@click.option("--show-trainable", is_flag=True, help="Add Keras's Trainable column (Y, N, or - for no weights).")
@click.option("--run", "run_forward", is_flag=True, help="Also run the stack forward with NumPy, as Keras computes it.")
@click.option("--weights", "weights_path", metavar="FILE", shell_complete=_complete_file,
              help="Weights for --run: an .npz as np.savez(FILE, *model.get_weights()) writes, or a .keras or "
              ".weights.h5 file (needs h5py).")
@click.option("--save-weights", metavar="FILE.npz", shell_complete=_complete_file,
              help="Write the weights --run used, in the same layout.")
@click.option("--input-data", metavar="FILE.npy", shell_complete=_complete_file,
              help="Input for --run (default: random from --seed); for a model of several inputs an .npz with an "
              "array per input, named as the inputs or arr_0, arr_1, ...")
@click.option("--save-output", metavar="FILE", shell_complete=_complete_file,
              help="Write the output of --run: .npy data, or an .npz archive of every output when the last layer "
              "has several.")
@click.option("--seed", type=click.IntRange(min=0),
              help="Seed of the random weights and input of --run (default: 0).")
@click.option("--max-memory", metavar="SIZE", help="Refuse a --run estimated to need more (default: half the "
              "available memory), e.g. 512M, 8G.")
def summary(specs, input_text, timesteps, input_dim, batch, spec_file, model_path, defines, model_variable, name,
            fmt, as_json, convention,
            dtype, details, expand, show_trainable, run_forward, weights_path, save_weights, input_data, save_output,
            seed, max_memory):  # fmt: skip
    """Print the summary Keras would print for a stack of layer SPECs.

    A SPEC is fields joined by ':', the kind, its numbers, then flags
    (simple:8:seq). One argument may hold several specs; '-' reads them from
    stdin.
    """
    run_options = {"--weights": weights_path, "--save-weights": save_weights, "--input-data": input_data,
                   "--save-output": save_output, "--max-memory": max_memory, "--seed": seed}  # fmt: skip
    dtype = dtype.lower()
    if as_json and fmt not in (None, "json"):
        raise InputError(f"--json and --format {fmt} contradict each other: give one of them")
    fmt = "json" if as_json else (fmt or "table").lower()
    from .render import View  # every summary format renders with it; other commands need not load it

    view = View(details, expand, show_trainable)
    if fmt == "plain" and view != View():
        chosen = next(option for option, on in (("--details", details), ("--expand", expand),
                                                 ("--show-trainable", show_trainable)) if on)  # fmt: skip
        raise InputError(f"{chosen} does not fit the plain format, Keras 2's three columns: use the table, "
                         "markdown, json or csv format")  # fmt: skip
    given = [option for option, value in run_options.items() if value is not None]
    if given and not run_forward:
        raise InputError(f"{given[0]} is an option of --run: add --run")
    graph, name = _model(specs, spec_file, input_text, timesteps, input_dim, batch, model_path, name, defines,
                         model_variable)
    result = infer_graph(graph, "torch" if convention == "pytorch" else "keras", name)  # the JSON's word
    run = _run(result, dtype, seed or 0, run_options, show_progress=fmt != "json",
               details=details) if run_forward else None  # fmt: skip
    for note in result.warnings:
        click.echo(f"note: {note}", err=True)
    statistics = run.statistics() if run else None
    if fmt == "table":
        import rich.console

        from .render import print_run, print_table

        class Console(rich.console.Console):
            def on_broken_pipe(self) -> None:
                raise BrokenPipeError  # rich would exit 1 itself; every format ends the same way

        columns = terminal_width()
        # rich gets the width the table is laid out for, and at least the table's
        # 40 (by itself it would read COLUMNS, or assume 80 on a dumb terminal;
        # it takes a width only together with a height).
        console = Console(highlight=False, width=max(columns, MIN_TABLE_WIDTH), height=25)
        print_table(result, dtype, console, columns, view)
        if statistics:
            print_run(statistics, console)
    else:
        from .render import render

        click.echo(render(result, fmt, dtype, run=statistics, view=view), nl=False)


@main.command(cls=SpecCommand, epilog=CODE_EXAMPLES,
              short_help="The model as a Keras or PyTorch module, weights converted.")
@stack_options
@click.option("--framework", type=ChoiceOf(["keras", "pytorch"], PYTORCH_ALIASES), required=True,
              help="The framework of the module: keras (keras.Sequential for a stack, keras.Model for a "
              "graph) or pytorch (an nn.Module).")
@click.option("-o", "--output", "output_path", metavar="FILE", shell_complete=_complete_file,
              help="Write the module to FILE (default: stdout).")
@click.option("--weights", "weights_path", metavar="FILE", shell_complete=_complete_file,
              help="With --save-weights: Keras's weights to convert for the PyTorch module, an .npz in "
              "get_weights() order or a .keras or .weights.h5 file (needs h5py).")
@click.option("--save-weights", metavar="OUT.npz", shell_complete=_complete_file,
              help="Write the PyTorch module's state_dict(): the --weights converted, or else the weights Keras "
              "would initialise the model with (drawn with --seed).")
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the initial weights --save-weights writes "
              "without --weights (default: 0).")
def code(specs, input_text, timesteps, input_dim, batch, spec_file, model_path, defines, model_variable, name,
         framework, output_path,
         weights_path, save_weights, seed):  # fmt: skip
    """Print a runnable Python module whose build_model() returns the model:
    with --framework keras, a Keras 3 model whose model.summary() shows the
    figures rnnshape shows; with --framework pytorch, an nn.Module that
    computes what the Keras model computes, with Keras's input and outputs.
    """
    framework = framework.lower()
    if framework == "keras" and (weights_path or save_weights):
        raise InputError("--weights and --save-weights convert weights for --framework pytorch; for Keras, "
                         "load an .npz with model.set_weights(list(np.load(FILE).values()))")  # fmt: skip
    if save_weights is None and (weights_path is not None or seed is not None):
        raise InputError(f"{'--weights' if weights_path is not None else '--seed'} is an option of "
                         "--save-weights: add --save-weights OUT.npz")  # fmt: skip
    graph, name = _model(specs, spec_file, input_text, timesteps, input_dim, batch, model_path, name, defines,
                         model_variable)
    summary = infer_graph(graph, name=name)
    files = []
    if output_path is not None:
        files.append(("-o", output_path))
    if save_weights is not None:
        files.append(("--save-weights", save_weights))
    if files:  # checked before any work, as every command checks its output files
        from .files import check_destinations

        check_destinations(files)
    if framework == "keras":
        from .codegen import keras_module

        text = keras_module(summary)
    else:
        from .pytorch import pytorch_module

        text = pytorch_module(summary)
    if files:
        from .files import write_files

        writers = {"-o": lambda handle: handle.write(text.encode("utf-8"))}
        if save_weights is not None:
            writers["--save-weights"] = _state_writer(summary, weights_path, seed or 0)
        write_files([(option, path, writers[option]) for option, path in files])
    if output_path is None:
        click.echo(text, nl=False)


def _state_writer(summary, weights_path, seed):
    """What writes the PyTorch module's state_dict() as an .npz: Keras's weights
    from --weights, or Keras's initial ones, converted."""
    import numpy as np

    from .pytorch import state_dict
    from .weights import initial_weights, load_weights

    if weights_path is not None:
        weights = load_weights(weights_path, summary, "float32")
    else:
        weights = initial_weights(summary, seed, "float32")
    state = state_dict(summary, weights)
    return lambda handle: np.savez(handle, **state)


@main.command(cls=SpecCommand, short_help="Why each layer has its parameter count, and what it computes.")
@stack_options
@click.option("--json", "as_json", is_flag=True, help="The same as JSON: per weight its name, shape, count and "
              "trainability, per layer the formula of its count.")
def explain(specs, input_text, timesteps, input_dim, batch, spec_file, model_path, defines, model_variable, name,
            as_json):  # fmt: skip
    """Explain each layer of a stack: its weights and why they add up to its
    parameter count (kernel (10, 3) = 30 + recurrent_kernel (3, 3) = 9 +
    bias (3,) = 3 → 42), what it computes, how its output shape follows from
    its input's, and its mult-adds.
    """
    from .explain import explain as explanation
    from .explain import render_explain

    graph, name = _model(specs, spec_file, input_text, timesteps, input_dim, batch, model_path, name, defines,
                         model_variable)
    document = explanation(infer_graph(graph, name=name))
    if as_json:
        import json

        click.echo(json.dumps(document, indent=1, ensure_ascii=False))
    else:
        click.echo(render_explain(document, terminal_width()), nl=False)


@main.command(short_help="Every layer kind, flag, default and activation name.")
@click.option("--json", "as_json", is_flag=True, help="The same as JSON, for tools.")
def kinds(as_json):
    """List every layer kind with its fields, flags, aliases and defaults, and
    the activation names: the reference of the spec grammar.
    """
    from .reference import kinds_reference, render_kinds

    reference = kinds_reference()
    if as_json:
        import json

        click.echo(json.dumps(reference, indent=1))
    else:
        click.echo(render_kinds(reference, terminal_width()), nl=False)


@main.command(short_help="The shell completion script (bash, zsh or fish).")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell):
    """Print the completion script for SHELL: it completes commands, options,
    file paths, and the spec grammar (kinds, cells, flags, activation names).

    \b
    bash:  rnnshape completion bash > ~/.rnnshape-complete.bash
           echo '. ~/.rnnshape-complete.bash' >> ~/.bashrc
    zsh:   rnnshape completion zsh > "${fpath[1]}/_rnnshape"   (then compinit)
    fish:  rnnshape completion fish > ~/.config/fish/completions/rnnshape.fish
    """
    from .completion import SCRIPTS

    click.echo(SCRIPTS[shell], nl=False)


PLOT_EXAMPLES = """
\b
Examples:
  rnnshape plot -i 10,5 'bi:8:seq bi:8:seq' -o model.svg
  rnnshape plot -i 10,5 bi:8:seq --unroll -o unrolled.svg
  rnnshape plot -i 100 emb:5000:64:mask_zero bi:lstm:32 dense:1 --format mermaid
  rnnshape plot --from model.keras --expand --format dot | dot -Tpng > model.png
"""


@main.command(cls=SpecCommand, epilog=PLOT_EXAMPLES,
              short_help="The model as a picture (SVG, DOT, Mermaid), RNNs unrolled.")
@stack_options
@click.option("--format", "fmt", type=click.Choice(["svg", "dot", "mermaid"], case_sensitive=False),
              help="svg (default; a self-contained file), dot (Graphviz) or mermaid (GitHub Markdown); with -o, "
              "the file's suffix picks it.")
@click.option("-o", "--output", "output_path", metavar="FILE", shell_complete=_complete_file,
              help="Write the picture to FILE (.svg, .dot or .gv, .mmd) instead of stdout.")
@click.option("--expand", is_flag=True, help="Draw the layers inside Bidirectional and TimeDistributed.")
@click.option("--unroll", is_flag=True, help="Draw each recurrent layer unrolled over its timesteps.")
def plot(specs, input_text, timesteps, input_dim, batch, spec_file, model_path, defines, model_variable, name,
         fmt, output_path, expand,
         unroll):  # fmt: skip
    """Draw the model as plot_model(show_shapes=True, show_layer_names=True,
    show_trainable=True) does: a box per layer, top to bottom, with its name,
    type, shapes and params; or, with --unroll, each recurrent layer over its
    timesteps, as textbooks draw RNNs.
    """
    from .plot import output_format, plot as picture

    fmt = fmt.lower() if fmt else None
    if output_path is not None:
        fmt = output_format(output_path, fmt)
    graph, name = _model(specs, spec_file, input_text, timesteps, input_dim, batch, model_path, name, defines,
                         model_variable)
    summary = infer_graph(graph, name=name)
    if output_path is not None:
        from .files import check_destinations

        check_destinations([("-o", output_path)])
    text = picture(summary, fmt or "svg", expand, unroll)
    if output_path is None:
        click.echo(text, nl=False)
        return
    from .files import write_files

    write_files([("-o", output_path, lambda handle: handle.write(text.encode("utf-8")))])


@main.command(name="spec", short_help="A saved Keras model, or Keras code, as one command line.")
@click.option("--from", "model_path", metavar="MODEL", required=True, shell_complete=_complete_file,
              help="A saved Keras model (a .keras file, or the JSON of model.to_json()), or the Keras code that "
              "builds one (FILE.py, read without running it).")
@click.option("-D", "--define", "defines", metavar="NAME=VALUE", multiple=True,
              help="With --from FILE.py: the value of a name the code computes from data; repeatable.")
@click.option("--model", "model_variable", metavar="NAME",
              help="With --from FILE.py: the variable of the model to read (default: the last model built).")
@click.option("-i", "--input", "input_text", metavar="T,D",
              help="With --from FILE.py: the input shape, where the code gives none.")
def spec_command(model_path, defines, model_variable, input_text):
    """Print the one-line equivalent of a saved Keras model, or of the Keras
    code that builds one: its input options, then its specs (name= where a
    name is not the automatic one), or the program of a graph, so that
    `rnnshape summary $(rnnshape spec --from MODEL)` shows the same figures.
    """
    from .saved import read_model, saved_model, spec_line

    if not _is_code(model_path):
        if defines or model_variable or input_text:
            raise InputError("-D, --model and -i are for --from FILE.py, the Keras code of a model")
        click.echo(spec_line(read_model(model_path)))
        return
    graph, name = _model_from_code((), None, input_text, None, None, None, model_path, None, defines, model_variable)
    click.echo(spec_line(saved_model(graph, name)))


def _model(specs, spec_file, input_text, timesteps, input_dim, batch, model_path, name, defines=(),
           model_variable=None):  # fmt: skip
    """(the model's graph, its name): from a program, from SPECs and the input
    options, or from a saved model (--from)."""
    from .graph import looks_like_program, parse_program
    from .shapes import stack_graph

    if model_path is not None and _is_code(model_path):
        return _model_from_code(specs, spec_file, input_text, timesteps, input_dim, batch, model_path, name,
                                defines, model_variable)  # fmt: skip
    if defines or model_variable:
        raise InputError(f"{'-D' if defines else '--model'} is for --from FILE.py, the Keras code of a model")
    if model_path is not None:
        given = [option for option, value in (("SPEC", specs), ("-f", spec_file), ("-i", input_text),
                                              ("-t", timesteps), ("-d", input_dim), ("-b", batch)) if value]  # fmt: skip
        if given:
            raise InputError(f"--from reads the layers, input shape and batch from the model: leave out {given[0]}")
        from .saved import read_model

        saved = read_model(model_path)
        return saved.model_graph(), name or saved.name
    _check_spec_arguments(specs, input_text)
    text, from_file = _spec_text(specs, spec_file)
    if KERAS_CALL.match(text):  # 'LSTM(64, return_sequences=True)': Keras's own spelling (specs are lower case)
        from .pycode import looks_like_keras_calls

        if looks_like_keras_calls(text):
            return _model_from_keras_calls(text, input_text, timesteps, input_dim, batch, name)
    if looks_like_program(text):
        given = [option for option, value in (("-i", input_text), ("-t", timesteps), ("-d", input_dim),
                                              ("-b", batch)) if value]  # fmt: skip
        if given:
            raise InputError(f"a program gives its inputs with input statements (x = input:10,5:batch=4): "
                             f"leave out {given[0]}")  # fmt: skip
        return parse_program(text, comments=from_file), name
    stack = parse(text, comments=from_file)  # on the command line '#' is an ordinary character
    dims = _input_shape(input_text, timesteps, input_dim, isinstance(stack[0].layer, Embedding))
    return stack_graph(stack, dims, batch), name


def _is_code(path: str) -> bool:
    """Whether --from names Keras code (a .py file, or '-': code on stdin) rather than a saved model."""
    return path == "-" or path.lower().endswith(".py")


def _model_from_code(specs, spec_file, input_text, timesteps, input_dim, batch, path, name, defines, variable):
    """(graph, name) of the model the Keras code at ``path`` builds, read without running it."""
    from .pycode import MAX_BYTES, read_code

    given = [option for option, value in (("SPEC", specs), ("-f", spec_file)) if value]
    if given:
        raise InputError(f"--from reads the layers from the code: leave out {given[0]}")
    dims = _code_dims(input_text, timesteps, input_dim)
    where = "stdin" if path == "-" else f"'{printable(path)}'"
    try:
        data = _read_at_most(path, MAX_BYTES)
        if len(data) > MAX_BYTES:
            raise InputError(f"the code in {where} is longer than {MAX_BYTES // 1000:,} kB, the limit (a model "
                             "file takes a few kB)")  # fmt: skip
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"cannot read the code in {where}: it is not UTF-8 text") from None
    except OSError as error:
        raise InputError(f"cannot read the code in {where}: {error.strerror or error}") from None
    graph, model_name = read_code("<stdin>" if path == "-" else path, source, _defines(defines), variable, dims,
                                  batch)  # fmt: skip
    return graph, name or model_name


def _model_from_keras_calls(text, input_text, timesteps, input_dim, batch, name):
    """(graph, name) of Keras layer calls given as specs, read as the Sequential
    model of them; a note gives the same model in rnnshape's notation."""
    from .pycode import keras_calls_source, read_code
    from .saved import saved_model, spec_line

    dims = _code_dims(input_text, timesteps, input_dim)
    graph, model_name = read_code("<specs>", keras_calls_source(text), None, None, dims, batch)
    graph_name = name or model_name
    click.echo(f"note: read as Keras code; in rnnshape's notation: {spec_line(saved_model(graph, graph_name))}",
               err=True)  # fmt: skip
    return graph, graph_name


def _code_dims(input_text, timesteps, input_dim) -> tuple | None:
    """The input options' shape for Keras code, where it gives none (None: not given)."""
    if input_text is None and timesteps is None and input_dim is None:
        return None
    return _input_shape(input_text, timesteps, input_dim, True)


def _defines(texts: tuple[str, ...]) -> dict:
    """-D NAME=VALUE: a Python literal (20000, 0.5, (10, 5), None), else the text itself."""
    import ast

    values = {}
    for text in texts:
        name, equals, value = text.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise InputError(f"-D '{printable(text)[:60]}': write NAME=VALUE, for example -D vocab_size=20000")
        try:
            values[name] = ast.literal_eval(value.strip()) if len(value) < 1000 else value
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            values[name] = value
    return values


def _check_spec_arguments(specs: tuple[str, ...], input_text: str | None) -> None:
    if specs and input_text is not None and _is_dim(specs[0]):  # -i 10 5: the shell split the shape
        shape = f"{input_text.rstrip(',')},{specs[0].lstrip(',')}"
        raise InputError(f"'{specs[0]}' is not a layer spec: the input shape is one argument, with a comma and no "
                         f"space: -i {shape}")  # fmt: skip


def _is_dim(text: str) -> bool:
    """Whether an argument is a dim of a shape (5, None, 5), which a spec never is."""
    return text.strip("(), ").isdigit() or text.strip("(), ").lower() == "none"


def _run(summary, dtype, seed, options, show_progress, details=False):
    """The forward pass of --run, with its files; numpy is imported only here."""
    from .files import check_destinations, write_files
    from .run import execute, outputs_writer, parse_memory, plan_run
    from .weights import weights_writer

    destinations = {option: options[option] for option in ("--save-output", "--save-weights")
                    if options[option] is not None}
    check_destinations(list(destinations.items()))  # before the run, not after it
    max_memory = parse_memory(options["--max-memory"]) if options["--max-memory"] is not None else None
    plan = plan_run(summary, dtype=dtype, input_path=options["--input-data"], seed=seed, max_memory=max_memory)
    if show_progress and plan.expected_seconds > 1 and sys.stderr.isatty():
        import rich.console
        import rich.progress

        console = rich.console.Console(stderr=True, width=terminal_width(), height=25)
        with rich.progress.Progress(console=console, transient=True) as bar:
            task = bar.add_task("forward pass", total=plan.time_steps)
            result = execute(plan, options["--weights"], lambda: bar.advance(task), details)
    else:
        result = execute(plan, options["--weights"], details=details)
    writers = {"--save-output": outputs_writer(result.outputs), "--save-weights": weights_writer(result.weights)}
    write_files([(option, path, writers[option]) for option, path in destinations.items()])
    return result


def terminal_width() -> int:
    """The terminal's width, the one figure every table and bar is laid out for:
    COLUMNS when it is a positive number, else the terminal's own, else 80."""
    import os

    text = os.environ.get("COLUMNS", "").strip()
    if text.isdigit() and 0 < len(text) <= 5 and int(text) > 0:
        return int(text)
    import shutil

    try:
        columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (OSError, AttributeError, ValueError):
        columns = shutil.get_terminal_size((80, 24)).columns if not text else 80
    return columns if columns > 0 else 80


def _spec_text(specs: tuple[str, ...], spec_file: str | None) -> tuple[str, bool]:
    """The spec text from the arguments, a file, or stdin ('-'), and whether it
    came from a file or stdin (where '#' starts a comment)."""
    if spec_file is not None and specs:
        raise InputError("give the specs either as arguments or with -f/--file, not both")
    if spec_file is None and specs == ("-",):
        spec_file = "-"
    if spec_file is None:
        if "-" in specs:
            raise InputError("'-' (read specs from stdin) must be the only SPEC")
        if not specs:
            raise InputError("no layers given: write specs such as 'simple:3', or '-' to read them from stdin")
        return "\n".join(specs), False  # a stack splits at any space; a program's statements at lines
    where = "standard input" if spec_file == "-" else f"'{spec_file}'"
    try:
        data = _read_at_most(spec_file, MAX_SPEC_BYTES)
        if len(data) > MAX_SPEC_BYTES:  # /dev/zero, `yes |`: never read without end
            raise InputError(f"the specs in {where} are longer than {MAX_SPEC_BYTES // 1024**2} MB, the limit "
                             "(a whole model's specs take a few hundred bytes)")  # fmt: skip
        return data.decode("utf-8-sig"), True  # -sig: an editor's byte-order mark is not part of a spec
    except UnicodeDecodeError:
        raise InputError(f"cannot read specs from {where}: it is not UTF-8 text") from None
    except OSError as error:
        raise InputError(f"cannot read specs from {where}: {error.strerror or error}") from None


def _read_at_most(path: str, limit: int) -> bytes:
    """A file's bytes, or stdin's ('-'): at most ``limit`` and one more, so that
    a longer one (/dev/zero, `yes |`) is known as such and never read to its end."""
    if path == "-":
        return sys.stdin.buffer.read(limit + 1)
    with open(path, "rb") as handle:
        return handle.read(limit + 1)


def _input_shape(input_text: str | None, timesteps: str | None, input_dim: str | None, takes_ids: bool) -> tuple:
    """(T, D) or (T,) from -i, or from -t and -d (Keras 2's input_length and input_dim)."""
    if input_text is not None:
        if timesteps is not None or input_dim is not None:
            raise InputError("give the input shape either with -i or with -t/-d, not both")
        return parse_dims(input_text, "-i")
    if timesteps is None and input_dim is None:
        raise InputError("the input shape is missing: give it with -i TIMESTEPS,FEATURES "
                         "(e.g. -i 10,5), or -t TIMESTEPS -d FEATURES")  # fmt: skip
    if input_dim is None and not takes_ids:
        raise InputError("-t gives the timesteps; give the features per timestep with -d too "
                         "(-t alone is for a first embedding layer)")  # fmt: skip
    steps = parse_dims(timesteps, "-t") if timesteps is not None else (None,)
    features = parse_dims(input_dim, "-d") if input_dim is not None else ()
    if len(steps) != 1 or len(features) > 1:
        raise InputError("-t and -d each take one number, e.g. -t 10 -d 5")
    return steps + features


def run() -> None:
    """Console-script entry point: the commands with the exit-status contract
    (ExitStatus). Bad input, and any failure of memory, files or streams, is
    status 2 with one message; Ctrl-C is 130; a reader that goes away (| head)
    ends the run quietly with 0; anything else is a bug (1), reported without
    a traceback. No output is left in a buffer for the interpreter to fail on
    as it exits (Python would print 'Exception ignored' and exit 120): stdout
    is flushed here, and after a failure its remains go to /dev/null."""
    finished = False
    try:
        status = _invoke(sys.argv[1:])
        sys.stdout.flush()  # a full disk or device says so here, not at interpreter exit
        finished = True
    except click.ClickException as error:
        _tell(error.show)
        status = error.exit_code
    except KeyboardInterrupt:
        status = ExitStatus.INTERRUPTED
    except BrokenPipeError:
        status = ExitStatus.OK  # the reader has what it wanted
    except MemoryError:
        _tell("Error: not enough memory for this: free some, or shrink the stack or the batch")
        status = ExitStatus.BAD_INPUT
    except OSError as error:  # a full disk, a closed stdout, a file that went away
        where = f" '{error.filename}'" if error.filename else ""
        _tell(f"Error: {error.strerror or error}{where}")
        status = ExitStatus.BAD_INPUT
    except Exception as error:  # noqa: BLE001 - anything here is a bug; report it, no traceback
        _tell(f"rnnshape: internal error: {type(error).__name__}: {error}\n"
              "This is a bug in rnnshape; please report it with the command you ran.")  # fmt: skip
        status = ExitStatus.INTERNAL_ERROR
    if not finished:
        _discard(sys.stdout)  # nothing more reaches stdout after a failure
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
    except (OSError, ValueError):
        _discard(sys.stderr)
    sys.exit(status)


def _invoke(args: list[str]) -> int:
    """Run the command line ``args``; its exit status. click's own main() is
    not used: it turns a closed pipe into status 1."""
    if sys.stdout is None:  # started with stdout closed (>&-): the output would vanish
        raise OSError("standard output is closed: nothing could be printed")
    import os

    line = os.environ.get("_RNNSHAPE_COMPLETE_LINE")
    if line is not None:  # a completion script asks what may come next (rnnshape completion)
        from .completion import print_candidates

        print_candidates(main, line)
        return ExitStatus.OK
    try:
        with main.make_context("rnnshape", list(args)) as context:
            main.invoke(context)
    except click.exceptions.Exit as exit:  # --help, --version
        return exit.exit_code
    return ExitStatus.OK


def _tell(message) -> None:
    """Write an error message (text, or a function that writes it) to stderr,
    if stderr can take it: the exit status is the message that always arrives."""
    try:
        if callable(message):
            message()
        elif sys.stderr is not None:
            print(message, file=sys.stderr)
    except (OSError, ValueError, AttributeError):
        pass


def _discard(stream) -> None:
    """Point a standard stream at /dev/null, so that what is left in its buffer
    is not written, or failed on, when the interpreter exits."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no stream, or no file behind it (a test's capture)
        pass
