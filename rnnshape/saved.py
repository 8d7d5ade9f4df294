"""Saved Keras models read without Keras: a ``.keras`` file or the JSON of
``model.to_json()`` (or its ``config.json``) to rnnshape's layer specs.

Only the configuration is read: never code, pickles or weights. A ``.keras``
file is a zip; its ``config.json`` is read from it within a size limit, and
nothing is extracted to disk. Sequential models, and Functional models that
are a straight chain, whose layers are rnnshape's kinds.

Each Keras layer becomes spec text, which the spec parser then reads, so a
saved model is checked exactly as a typed stack is (one source of truth for
what a kind accepts). Keras options that change neither what rnnshape shows
nor what it computes (initialisers, regularisers, constraints, seeds, a
float32 dtype policy) are ignored; any other option that rnnshape does not
model is refused by name, never approximated.
"""

from __future__ import annotations

import json
import zipfile
from typing import Any

from .errors import InputError, printable
from .files import require_regular_file
from .kinds import KINDS, WRAPPED_KINDS, Bidirectional, Layer, TimeDistributed
from .spec import FLAGS, MODEL_FLAGS, LayerSpec, parse_spec
from .values import Value

MAX_CONFIG_BYTES = 16 * 1024**2  # a config of thousands of layers takes a few MiB

# Options that change neither shapes, counts nor inference.
IGNORED = {"name", "trainable", "dtype", "seed", "kernel_initializer", "recurrent_initializer", "bias_initializer",
           "embeddings_initializer", "beta_initializer", "gamma_initializer", "moving_mean_initializer",
           "moving_variance_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
           "activity_regularizer", "embeddings_regularizer", "beta_regularizer", "gamma_regularizer",
           "kernel_constraint", "recurrent_constraint", "bias_constraint", "embeddings_constraint",
           "beta_constraint", "gamma_constraint", "unit_forget_bias", "implementation", "momentum",
           "noise_shape", "synchronized", "renorm_momentum", "renorm_clipping", "zero_output_for_mask"}  # fmt: skip

# Options whose Keras default is the only value rnnshape models.
REQUIRED_DEFAULTS = {"data_format": "channels_last", "groups": 1, "keepdims": False, "epsilon": 0.001,
                     "center": True, "scale": True, "rms_scaling": False, "renorm": False, "axis": -1,
                     "quantization_config": None, "lora_rank": None, "lora_alpha": None, "sparse": False,
                     "time_major": False}  # fmt: skip

KERAS_CLASSES: dict[str, str] = {}  # Keras class name -> the spec's kind word
for _word, _kind in KINDS.items():
    KERAS_CLASSES.setdefault(_kind.keras_type, _word)

# A Keras argument -> the spec flag that sets it.
FLAG_FOR_ARGUMENT = {argument: word for word, (argument, _how) in FLAGS.items() if word not in MODEL_FLAGS}


class SavedModel(Value):
    """What a saved model describes: its name, input dims and batch, and its layers."""

    def __init__(self, name: str, dims: tuple, batch: int | None, specs: tuple[LayerSpec, ...]):
        self.name, self.dims, self.batch, self.specs = name, dims, batch, specs


def read_model(path: str) -> SavedModel:
    """Read and translate the model saved at ``path`` (.keras, or JSON)."""
    config = read_config(path)
    try:
        return model_from_config(config, path)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as error:
        # A configuration whose structure is not what Keras writes (crafted or
        # damaged): bad input, said plainly, never an internal error.
        raise InputError(f"--from '{path}' is not a Keras model configuration rnnshape can read "
                         f"({type(error).__name__}: {printable(str(error))[:80]})") from None


def read_config(path: str) -> dict:
    """The model's configuration: config.json from a .keras zip, or the JSON file itself."""
    require_regular_file(path, "--from")
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                try:
                    info = archive.getinfo("config.json")
                except KeyError:
                    raise InputError(f"--from '{path}' is a zip without config.json: not a .keras model") from None
                if info.file_size > MAX_CONFIG_BYTES:
                    raise InputError(f"--from '{path}': its config.json is {info.file_size} bytes, over the "
                                     f"{MAX_CONFIG_BYTES // 1024**2} MB limit")  # fmt: skip
                with archive.open(info) as member:
                    data = member.read(MAX_CONFIG_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"--from '{path}': no such file") from None
    except IsADirectoryError:
        raise InputError(f"--from '{path}' is a folder: give a .keras file or a model's JSON") from None
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as error:
        raise InputError(f"cannot read --from '{path}': {printable(str(error))[:200]}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise InputError(f"--from '{path}' is over the {MAX_CONFIG_BYTES // 1024**2} MB limit for a model's JSON")
    try:
        config = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError(f"--from '{path}' is neither a .keras file nor a model's JSON") from None
    if not isinstance(config, dict):
        raise InputError(f"--from '{path}' is JSON but not a Keras model's configuration")
    return config


def model_from_config(config: dict, path: str = "the model") -> SavedModel:
    """A SavedModel from the configuration Keras writes (model.to_json(), config.json)."""
    where = f"--from '{path}'"
    kind = config.get("class_name")
    body = config.get("config")
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(body, dict):
        raise InputError(f"{where} is not a Keras Sequential or Functional model's configuration "
                         f"(class {printable(str(kind))[:40]})")  # fmt: skip
    layers = body.get("layers")
    if not isinstance(layers, list) or not layers or not all(isinstance(entry, dict) for entry in layers):
        raise InputError(f"{where} has no layers")
    if kind != "Sequential":
        layers = _without_mask_ops(layers, where)
        _check_chain(body, layers, where)
    first = layers[0] if isinstance(layers[0], dict) else {}
    if first.get("class_name") != "InputLayer":
        raise InputError(f"{where} has no input layer: rnnshape needs the model's input shape")
    dims, batch = _input(first.get("config"), where)
    specs = []
    for number, entry in enumerate(layers[1:], 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
            raise InputError(f"{where}: layer {number} is not a layer's configuration")
        spec = _layer_spec(entry, number, where)
        if body.get("trainable") is False:  # a frozen model: every layer is
            spec = spec.replace(text=spec.text if not spec.trainable else spec.text + ":frozen", trainable=False)
        specs.append(spec)
    name = body.get("name", "sequential")
    return SavedModel(name if isinstance(name, str) else "sequential", dims, batch, tuple(specs))


def _without_mask_ops(layers: list, where: str) -> list:
    """A Functional config holds the operations that recompute masks (NotEqual,
    Any, ...) as nodes of their own; they feed only the layers' `mask`
    arguments, which rnnshape derives itself, so they are left out."""
    def name(entry):
        config = entry.get("config")
        return config.get("name") if isinstance(config, dict) else None

    ops = {name(entry) for entry in layers if str(entry.get("module", "")).startswith("keras.src.ops")}
    read = {source for entry in layers if name(entry) not in ops for source in _sources(entry.get("inbound_nodes"))}
    if ops & read:
        raise InputError(f"{where} computes with an operation ({printable(str(sorted(ops & read)[0]))[:40]}) "
                         "between its layers: rnnshape reads stacks of layers")  # fmt: skip
    return [entry for entry in layers if name(entry) not in ops]


def _check_chain(body: dict, layers: list, where: str) -> None:
    """A Functional model rnnshape can read: each layer called once, on the layer before it."""
    previous = None
    for entry in layers:
        config = entry.get("config") if isinstance(entry, dict) else None
        name = config.get("name") if isinstance(config, dict) else None
        nodes = entry.get("inbound_nodes", []) if isinstance(entry, dict) else []
        if previous is not None:
            sources = _sources(nodes)
            if sources != [previous]:
                raise InputError(f"{where} is a Functional model that is not a straight chain (layer "
                                 f"'{printable(str(name))}' reads {printable(str(sources))[:80]}): rnnshape "
                                 "reads stacks of layers")  # fmt: skip
        previous = name
    outputs = body.get("output_layers")
    if isinstance(outputs, list) and outputs and not isinstance(outputs[0], list):
        outputs = [outputs]
    if not isinstance(outputs, list) or not outputs or any(
            not isinstance(output, list) or output[:2] != [previous, 0] for output in outputs):  # fmt: skip
        raise InputError(f"{where} is a Functional model whose outputs are not its last layer's")


def _sources(nodes: Any) -> list:
    """The layers a Functional layer's calls read from."""
    sources = []
    if not isinstance(nodes, list) or len(nodes) != 1 or not isinstance(nodes[0], dict):
        return [None] * (len(nodes) if isinstance(nodes, list) else 2)
    arguments = nodes[0].get("args", [])
    for argument in arguments if isinstance(arguments, list) else [None, None]:
        config = argument.get("config") if isinstance(argument, dict) else None
        history = config.get("keras_history") if isinstance(config, dict) else None
        sources.append(history[0] if isinstance(history, list) and history and isinstance(history[0], str) else None)
    return sources


def _input(config: Any, where: str) -> tuple[tuple, int | None]:
    shape = config.get("batch_shape") if isinstance(config, dict) else None
    if shape is None and isinstance(config, dict):
        shape = config.get("batch_input_shape")  # Keras 2's name
    if not isinstance(shape, list) or len(shape) < 2 or not all(d is None or _whole(d) for d in shape):
        raise InputError(f"{where}: the input layer has no usable batch_shape")
    for option in ("sparse", "ragged"):
        if config.get(option):
            raise InputError(f"{where}: a {option} input is not modelled by rnnshape")
    return tuple(shape[1:]), shape[0]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _layer_spec(entry: dict, number: int, where: str) -> LayerSpec:
    """One Keras layer as a LayerSpec: its spec text read by the spec parser, with
    the layer's own name and trainability."""
    config = entry["config"]
    name = config.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{where}: layer {number} has no name")
    text = layer_text(entry, f"{where}: layer {number} '{printable(name)}'")
    try:
        parsed = parse_spec(text, number)
    except InputError as error:
        raise InputError(f"{where}: layer {number} '{printable(name)}' ({text}): "
                         f"{str(error).splitlines()[0].split(': ', 1)[-1]}") from None
    trainable = config.get("trainable", True)
    if not isinstance(trainable, bool):
        raise InputError(f"{where}: layer {number} '{printable(name)}' has a trainable that is not true or false")
    if "/" in name:
        raise InputError(f"{where}: layer {number} '{printable(name)}': Keras needs a name without '/'")
    inner_names = _inner_names(config, f"{where}: layer {number} '{printable(name)}'")
    return LayerSpec(text + ("" if trainable else ":frozen"), parsed.layer, name, trainable, inner_names)


def _inner_names(config: dict, where: str) -> tuple[str, ...] | None:
    """The names of the layers inside a wrapper, as Keras gives them when it
    loads the model: the wrapped layer's (a Bidirectional's forward copy
    prefixed forward_, unless it is already), and a Bidirectional's saved
    backward layer's."""
    if "layer" not in config:
        return None
    names = []
    for key in ("layer", "backward_layer"):
        entry = config.get(key)
        if entry is None and key == "backward_layer":
            continue
        inner = entry.get("config") if isinstance(entry, dict) else None
        name = inner.get("name") if isinstance(inner, dict) else None
        if not isinstance(name, str) or not name or "/" in name:
            raise InputError(f"{where} wraps a layer without a usable name")
        names.append(name)
    if "merge_mode" not in config:  # TimeDistributed
        return tuple(names)
    forward = f"forward_{names[0].removeprefix('forward_')}"
    backward = names[1] if len(names) > 1 else f"backward_{names[0].removeprefix('backward_')}"
    return forward, backward


def layer_text(entry: dict, where: str) -> str:
    """The spec text (kind, fields, flags; not name= or frozen) of one Keras layer."""
    class_name, config = entry.get("class_name"), entry.get("config")
    word = KERAS_CLASSES.get(class_name) if isinstance(class_name, str) else None
    if word is None or not isinstance(config, dict):
        raise InputError(f"{where} is a {printable(str(class_name))[:40]}, which rnnshape does not model")
    kind = KINDS[word]
    if kind is Bidirectional:
        return _bidirectional_text(config, where)
    if kind is TimeDistributed:
        inner = config.get("layer")
        inner_class = inner.get("class_name") if isinstance(inner, dict) else None
        if inner_class != "Dense":
            raise InputError(f"{where} wraps a {printable(str(inner_class))[:40]}: rnnshape's td wraps "
                             "Dense only")  # fmt: skip
        _only(config, {"layer"}, where)
        return "td:" + layer_text(inner, where)
    return ":".join([word] + _fields(kind, config, where))


def _bidirectional_text(config: dict, where: str) -> str:
    _only(config, {"layer", "backward_layer", "merge_mode"}, where)
    forward = config.get("layer")
    if not isinstance(forward, dict):
        raise InputError(f"{where} has no wrapped layer")
    backward = config.get("backward_layer")
    if isinstance(backward, dict):  # Keras saves the backward copy too: it must be the forward one, reversed
        def modelled(layer: dict) -> dict:  # what rnnshape models of a layer (not its name or initialisers)
            config = layer.get("config")
            return {key: value for key, value in (config.items() if isinstance(config, dict) else ())
                    if key not in IGNORED and key != "go_backwards"}  # fmt: skip

        mine, theirs = modelled(forward), modelled(backward)
        if backward.get("class_name") != forward.get("class_name") or mine != theirs:
            raise InputError(f"{where} has a backward_layer that differs from its forward layer: rnnshape's bi "
                             "runs one layer both ways")  # fmt: skip
    forward_class = forward.get("class_name")
    cell = KERAS_CLASSES.get(forward_class) if isinstance(forward_class, str) else None
    if cell not in WRAPPED_KINDS[Bidirectional]:
        raise InputError(f"{where} wraps a {printable(str(forward_class))[:40]}: rnnshape's bi wraps "
                         "SimpleRNN, LSTM and GRU")  # fmt: skip
    inner = dict(forward["config"]) if isinstance(forward.get("config"), dict) else {}
    if inner.get("go_backwards"):
        raise InputError(f"{where}'s forward layer goes backwards: rnnshape's bi does not model that")
    inner.pop("go_backwards", None)
    fields = _fields(KINDS[cell], inner, where)
    merge = config.get("merge_mode", "concat")
    if merge != "concat":
        fields.append(f"merge={'none' if merge is None else merge}")
    return ":".join(["bi", cell] + fields)


def _only(config: dict, allowed: set, where: str) -> None:
    for key, value in config.items():
        if key not in allowed and key not in IGNORED:
            raise InputError(f"{where} sets {printable(key)[:40]}, which rnnshape does not model")


def _fields(kind: type[Layer], config: dict, where: str) -> list[str]:
    """The positional fields and flags of ``kind`` that ``config`` sets; what it
    sets that rnnshape does not model is refused by name."""
    _check_dtype(config, where)
    values = {key: _scalar(value) for key, value in config.items()}
    fields = []
    for field in kind.positional:
        value = values.pop(field.argument, field.default)
        if value is None:
            raise InputError(f"{where} has no {field.argument}")
        if value != field.default:  # an optional field at its default is left out: masking, maxpool
            fields.append(_format(value))
    if "pool_size" in config and values.get("strides") == _scalar(config["pool_size"]):
        values.pop("strides")  # Keras saves the poolings' default stride, the pool size, as a number
    defaults = _defaults(kind, fields)
    flags = []
    for key, value in values.items():
        if key in IGNORED:
            continue
        if key in REQUIRED_DEFAULTS:
            if value != REQUIRED_DEFAULTS[key] and not (key == "axis" and value in (-1, [-1])):
                raise InputError(f"{where} sets {key}={printable(str(value))[:40]}, which rnnshape does not model")
            continue
        flag = FLAG_FOR_ARGUMENT.get(key)
        if flag is None or flag not in kind.flags:
            raise InputError(f"{where} sets {printable(key)[:40]}, which rnnshape does not model")
        if key in defaults and value == defaults[key]:
            continue  # the default: no flag
        flags.append(_flag_text(flag, value, where))
    return fields + flags


def _check_dtype(config: dict, where: str) -> None:
    dtype = config.get("dtype")
    policy = dtype.get("config") if isinstance(dtype, dict) else None
    name = policy.get("name") if isinstance(policy, dict) else dtype
    if name not in (None, "float32"):
        raise InputError(f"{where} computes in {printable(str(name))[:40]}; rnnshape models float32 layers")


def _scalar(value: Any) -> Any:
    """Keras saves Conv1D's and the poolings' sizes as one-element lists."""
    if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], list):
        return value[0]
    return value


def _defaults(kind: type[Layer], fields: list[str]) -> dict:
    """The values of a kind's options when no flag is given."""
    try:
        layer = parse_spec(":".join([KERAS_CLASSES[kind.keras_type]] + fields)).layer
    except InputError:
        return {}  # the fields themselves are wrong: the parser will say so
    return {name: getattr(layer, name) for name in layer._fields}


def _format(value: Any) -> str:
    if isinstance(value, list) and value and all(_whole(one) or one == -1 for one in value):
        return ",".join(map(str, value))  # Reshape's target_shape, Permute's dims
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return printable(str(value))[:40]
    return repr(value) if isinstance(value, float) else str(value)


def _flag_text(flag: str, value: Any, where: str) -> str:
    how = FLAGS[flag][1]
    if how in ("on", "off"):
        if not isinstance(value, bool):
            raise InputError(f"{where} sets {FLAGS[flag][0]} to {printable(str(value))[:40]}, not true or false")
        return flag
    if how == "bool":
        return f"{flag}={'true' if value else 'false'}"
    if value is None and how == "choice":
        return f"{flag}=none"
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InputError(f"{where} sets {FLAGS[flag][0]} to {printable(str(value))[:40]}, which rnnshape does not "
                         "model")  # fmt: skip
    return f"{flag}={_format(value)}"


def spec_line(saved: SavedModel) -> str:
    """The command-line equivalent of a saved model: the input options, then the
    specs, with name= where Keras's automatic name in a fresh session would differ,
    so that `rnnshape summary $(rnnshape spec --from M)` shows the same figures."""
    import shlex

    from .shapes import next_name

    tokens = ["-i", ",".join("None" if dim is None else str(dim) for dim in saved.dims)]
    if saved.batch is not None:
        tokens += ["-b", str(saved.batch)]
    if saved.name != "sequential":
        tokens += ["--name", saved.name]
    counters: dict[str, int] = {}
    for number, spec in enumerate(saved.specs, 1):
        bases = spec.layer.auto_names()
        automatic = next_name(bases[-1], dict(counters))  # its automatic name, not yet taken
        for base in bases[:-1]:  # a wrapped layer takes its name whatever the wrapper is called
            next_name(base, counters)
        if spec.name == automatic:
            next_name(bases[-1], counters)
            tokens.append(spec.text)
            continue
        if not spec.name.isprintable() or any(char in spec.name for char in ": #\t"):
            raise InputError(f"layer {number}'s name '{printable(spec.name)}' cannot be written in a spec (it holds "
                             "':', '#' or a space): rename the layer, or use --from directly")  # fmt: skip
        tokens.append(f"{spec.text}:name={spec.name}")
    return shlex.join(tokens)
