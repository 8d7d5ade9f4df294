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

from typing import Any

from .errors import InputError, printable
from .graph import MAX_CALLS, Call, Graph, Ref
from .kinds import KINDS, RNN, WRAPPED_KINDS, Bidirectional, InputLayer, Layer, TimeDistributed
from .spec import FLAGS, LayerSpec, parse_spec
from .shapes import next_name
from .values import Value

MAX_CONFIG_BYTES = 16 * 1024**2  # a config of thousands of layers takes a few MiB

# Options that change neither shapes, counts nor inference.
IGNORED = {"name", "trainable", "dtype", "seed", "kernel_initializer", "recurrent_initializer", "bias_initializer",
           "embeddings_initializer", "beta_initializer", "gamma_initializer", "moving_mean_initializer",
           "moving_variance_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
           "activity_regularizer", "embeddings_regularizer", "beta_regularizer", "gamma_regularizer",
           "kernel_constraint", "recurrent_constraint", "bias_constraint", "embeddings_constraint",
           "beta_constraint", "gamma_constraint", "unit_forget_bias", "implementation", "momentum",
           "noise_shape", "synchronized", "renorm_momentum", "renorm_clipping", "zero_output_for_mask",
           "alpha_initializer", "alpha_regularizer", "alpha_constraint"}  # fmt: skip

# Options whose Keras default is the only value rnnshape models.
REQUIRED_DEFAULTS = {"data_format": "channels_last", "groups": 1, "keepdims": False, "epsilon": 0.001,
                     "center": True, "scale": True, "rms_scaling": False, "renorm": False, "axis": -1,
                     "quantization_config": None, "lora_rank": None, "lora_alpha": None, "sparse": False,
                     "time_major": False, "max_value": None, "threshold": 0.0, "negative_slope": 0.0, "alpha": 1.0,
                     "shared_axes": None, "use_gate": False, "attention_axes": None,
                     "sliding_window": None}  # fmt: skip

# Options that act in training only, ignored where a kind has no flag for them (an attention's dropout).
TRAINING_ONLY = {"dropout"}

KERAS_CLASSES: dict[str, str] = {}  # Keras class name -> the spec's kind word
for _word, _kind in KINDS.items():
    KERAS_CLASSES.setdefault(_kind.keras_type, _word)



class SavedModel(Value):
    """What a saved model describes: its name, input dims and batch, and its
    layers; a Functional model, its ``graph`` (then ``specs`` is empty)."""

    def __init__(self, name: str, dims: tuple, batch: int | None, specs: tuple[LayerSpec, ...],
                 graph: Graph | None = None):  # fmt: skip
        self.name, self.dims, self.batch, self.specs, self.graph = name, dims, batch, specs, graph

    def model_graph(self) -> Graph:
        """The model as a graph: a Sequential model's stack, or the Functional graph."""
        from .shapes import stack_graph

        return self.graph if self.graph is not None else stack_graph(self.specs, self.dims, self.batch)


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
    import json  # here: reading Keras code (pycode) shares this module's layers, not its files
    import zipfile

    from .files import require_regular_file

    require_regular_file(path, "--from")
    try:
        with open(path, "rb") as handle:
            legacy = handle.read(8) == HDF5_SIGNATURE
        version = None
        if legacy:
            data, version = _h5_config(path)
        elif zipfile.is_zipfile(path):
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
    if version is not None:
        config.setdefault("keras_version", version)  # an HDF5 file keeps it beside its JSON
    return config


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _h5_config(path: str) -> tuple[bytes, str | None]:
    """The model_config attribute of a whole-model HDF5 file (Keras 2's
    model.save("m.h5")), and the Keras version the file names."""
    try:
        import h5py
    except ImportError:
        raise InputError(f"reading --from '{path}' (HDF5) needs h5py, an optional extra: "
                         "pip install 'rnnshape[h5]'") from None
    with h5py.File(path, "r") as model_file:
        config = model_file.attrs.get("model_config")
        if config is None:
            raise InputError(f"--from '{path}' is HDF5 without a model_config: a weights file, not a saved model "
                             "(give the model, or read it with --weights)")  # fmt: skip
        if isinstance(config, str):
            config = config.encode("utf-8")
        version = model_file.attrs.get("keras_version")  # here, not in the JSON
        if isinstance(version, bytes):
            version = version.decode("utf-8", "replace")
        if not isinstance(config, bytes) or len(config) > MAX_CONFIG_BYTES:
            raise InputError(f"--from '{path}': its model_config is not a model's JSON of at most "
                             f"{MAX_CONFIG_BYTES // 1024**2} MB")  # fmt: skip
        return config, version if isinstance(version, str) else None


def model_from_config(config: dict, path: str = "the model") -> SavedModel:
    """A SavedModel from the configuration Keras writes (model.to_json(), config.json),
    Keras 3's or Keras 2's."""
    where = f"--from '{path}'"
    if _keras2(config):
        config = _from_keras2(config)
    kind = config.get("class_name")
    body = config.get("config")
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(body, dict):
        raise InputError(f"{where} is not a Keras Sequential or Functional model's configuration "
                         f"(class {printable(str(kind))[:40]})")  # fmt: skip
    layers = body.get("layers")
    if not isinstance(layers, list) or not layers or not all(isinstance(entry, dict) for entry in layers):
        raise InputError(f"{where} has no layers")
    if kind != "Sequential":
        return _functional(body, layers, where)
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


def _keras2(config: dict) -> bool:
    """Whether Keras 2 (or tf.keras) wrote the configuration: its version, or its nodes' form."""
    version = config.get("keras_version")
    if isinstance(version, str):
        return version.startswith(("2.", "1."))
    body = config.get("config")
    layers = body.get("layers") if isinstance(body, dict) else None
    if not isinstance(layers, list):
        return False
    for entry in layers:
        if not isinstance(entry, dict):
            continue
        nodes, layer = entry.get("inbound_nodes"), entry.get("config")
        if isinstance(nodes, list) and any(isinstance(node, list) for node in nodes):
            return True  # Keras 2's [[layer, node, tensor, kwargs]]
        if isinstance(layer, dict) and "batch_input_shape" in layer and entry.get("class_name") != "InputLayer":
            return True  # Keras 2 keeps the input shape on a Sequential model's first layer
    return False


# Keras 2's recurrent layers read their initial states as the node's tensors after the first.
KERAS2_RECURRENT = {"SimpleRNN", "LSTM", "GRU", "Bidirectional", "RNN"}


def _from_keras2(config: dict) -> dict:
    """A Keras 2 configuration as Keras 3 writes the same model: its layers
    without Keras 2's batch_input_shape (the model's InputLayer holds it; a
    Sequential model without one gets one), and its inbound nodes, lists of
    [layer, node, tensor, kwargs], as Keras 3's arguments: a list for a merge
    or attention, the query and value for MultiHeadAttention, the tensors after
    the first as a recurrent layer's initial_state."""
    import copy

    config = copy.deepcopy(config)
    body = config.get("config")
    layers = body.get("layers") if isinstance(body, dict) else None
    if not isinstance(layers, list):
        return config
    for entry in layers:
        layer = entry.get("config") if isinstance(entry, dict) else None
        if isinstance(layer, dict) and entry.get("class_name") == "Embedding":
            layer.pop("input_length", None)  # Keras 3 drops it: the input layer has the length
        if isinstance(layer, dict) and entry.get("class_name") == "MultiHeadAttention":
            for key in ("query_shape", "key_shape", "value_shape"):  # Keras 2's build shapes
                layer.pop(key, None)
        for one in (entry, layer.get("layer") if isinstance(layer, dict) else None):
            inner = one.get("config") if isinstance(one, dict) else None
            if isinstance(inner, dict) and one.get("class_name") == "GRU":
                inner.setdefault("reset_after", False)  # Keras before 2.3 saved none: its default was False
        if isinstance(layer, dict) and entry.get("class_name") != "InputLayer":
            shape = layer.pop("batch_input_shape", None)
            if shape is not None and entry is layers[0] and config.get("class_name") == "Sequential":
                layers.insert(0, {"class_name": "InputLayer", "config": {
                    "batch_shape": shape, "dtype": layer.get("dtype", "float32"), "name": "input"}})  # fmt: skip
        nodes = entry.get("inbound_nodes") if isinstance(entry, dict) else None
        if isinstance(nodes, list):
            entry["inbound_nodes"] = [_keras2_node(entry.get("class_name"), node) for node in nodes]
    return config


def _keras2_node(class_name: Any, node: Any) -> Any:
    """One Keras 2 call, [[layer, node, tensor, kwargs], ...], as Keras 3's {"args", "kwargs"}."""
    if not isinstance(node, list) or not all(isinstance(one, list) and len(one) in (3, 4) for one in node):
        return node  # not Keras 2's form: read (and refused) as it is

    def tensor(one: list) -> dict:
        return {"class_name": "__keras_tensor__", "config": {"keras_history": list(one[:3])}}

    tensors = [tensor(one) for one in node]
    kwargs = {key: value for one in node if len(one) == 4 and isinstance(one[3], dict)
              for key, value in one[3].items() if key not in ("mask", "training")}  # fmt: skip
    word = KERAS_CLASSES.get(class_name) if isinstance(class_name, str) else None
    if class_name in KERAS2_RECURRENT and len(tensors) > 1:
        return {"args": tensors[:1], "kwargs": {"initial_state": tensors[1:]}}
    if word is not None and KINDS[word].listed:
        return {"args": [tensors], "kwargs": kwargs}
    if class_name == "MultiHeadAttention":
        named = {key: tensor(value) for key, value in kwargs.items() if key in ("value", "key") and
                 isinstance(value, list) and len(value) == 3}  # fmt: skip
        args = tensors[:1] + ([named["value"]] if "value" in named else [])
        return {"args": args, "kwargs": {"key": named["key"]} if "key" in named else {}}
    return {"args": tensors, "kwargs": kwargs}


def _functional(body: dict, entries: list, where: str) -> SavedModel:
    """A Functional model's graph: its layers, each call of each (its inbound
    nodes), and its inputs and outputs. The operations Keras records to compute
    masks (NotEqual, Any ...) are left out: rnnshape makes them again, as Keras
    does when it loads the model."""
    operation_names = _operation_names(entries)
    entries = _without_mask_ops(entries, where)
    frozen = body.get("trainable") is False  # a frozen model: every layer is
    layers: list[LayerSpec] = []
    number_of: dict[str, int] = {}  # layer name -> its number
    for number, entry in enumerate(entries):
        config = entry.get("config")
        if not isinstance(config, dict):
            raise InputError(f"{where}: layer {number} is not a layer's configuration")
        if entry.get("class_name") == "InputLayer":
            dims, batch = _input(config, where)
            name = config.get("name")
            if not isinstance(name, str) or not name or "/" in name:
                raise InputError(f"{where}: input {number} has no usable name")
            spec = input_spec(dims, batch, str(config.get("dtype", "")), name)
        else:
            spec = _layer_spec(entry, number, where)
            if frozen and spec.trainable:
                spec = spec.replace(text=spec.text + ":frozen", trainable=False)
        if spec.name in number_of:
            raise InputError(f"{where}: two layers are named '{printable(spec.name)[:40]}'")
        number_of[spec.name] = number
        layers.append(spec)
    # Each call: (layer, its node index) -> the tensors it reads, as (layer name, node, output).
    pending = []
    for number, entry in enumerate(entries):
        nodes = entry.get("inbound_nodes") or []
        if not isinstance(nodes, list):
            raise InputError(f"{where}: layer '{printable(str(layers[number].name))}' has unreadable inbound nodes")
        if isinstance(layers[number].layer, InputLayer):
            pending.append((number, 0, (), ()))
            continue
        for node_index, node in enumerate(nodes):
            arguments, init = _node_tensors(node, f"{where}: layer '{printable(layers[number].name)}'")
            pending.append((number, node_index, arguments, init))
    if len(pending) > MAX_CALLS:
        raise InputError(f"{where} makes {len(pending):,} calls, more than the {MAX_CALLS:,} rnnshape reads")
    calls = _ordered_calls(pending, layers, where)
    call_of = {(layers[call.layer].name, node_index): number for number, (call, node_index) in enumerate(calls)}
    calls = [call for call, _ in calls]
    inputs = _endpoints(body.get("input_layers"), call_of, where, "input_layers")
    outputs = _endpoints(body.get("output_layers"), call_of, where, "output_layers")
    for ref in inputs:
        if not isinstance(layers[calls[ref.call].layer].layer, InputLayer):
            raise InputError(f"{where}: its input_layers name '{printable(layers[calls[ref.call].layer].name)[:40]}',"
                             " which is not an input layer")  # fmt: skip
    for ref in inputs + outputs + tuple(ref for call in calls for ref in call.arguments + call.init):
        source = layers[calls[ref.call].layer]
        if ref.output >= source.layer.output_count():
            raise InputError(f"{where} reads output {ref.output} of '{printable(source.name)[:40]}', which has "
                             f"{source.layer.output_count()}")  # fmt: skip
    for call in calls:
        if call.init and not layers[call.layer].layer.takes_initial_state:
            raise InputError(f"{where}: '{printable(layers[call.layer].name)[:40]}' is given initial_state, which "
                             "only a recurrent layer takes")  # fmt: skip
    graph = Graph(tuple(layers), tuple(calls), inputs, outputs, sequential=False, operation_names=operation_names)
    name = body.get("name", "functional")
    first = layers[calls[inputs[0].call].layer].layer
    return SavedModel(name if isinstance(name, str) else "functional", first.shape, first.batch, (), graph)


def input_spec(dims: tuple, batch: int | None, dtype: str, name: str | None) -> LayerSpec:
    """A model's input as the graph holds it: integer ids for an integer dtype
    (an embedding reads them), else floats."""
    ids = dtype.startswith(("int", "uint"))
    text = "input:" + ",".join("None" if dim is None else str(dim) for dim in dims)
    return LayerSpec(text, InputLayer(tuple(dims), batch, "int32" if ids else "float32"), name)


def _ordered_calls(pending: list, layers: list, where: str) -> list[tuple[Call, int]]:
    """The calls (with their node index) in an order where each comes after the
    calls it reads and a layer's calls in their order, the configuration's
    order otherwise (Kahn's algorithm)."""
    key_of = [(layers[number].name, node_index) for number, node_index, _, _ in pending]
    position = {key: index for index, key in enumerate(key_of)}
    waiting = [0] * len(pending)
    readers: dict[int, list[int]] = {}
    for index, (number, node_index, arguments, init) in enumerate(pending):
        # A layer's calls keep their order (Keras numbers them as they are made): node k after node k - 1.
        earlier = [(layers[number].name, node_index - 1, 0)] if node_index else []
        for name, node, _output in earlier + list(arguments + init):
            source = position.get((name, node))
            if source is None:
                raise InputError(f"{where}: a layer reads '{printable(str(name))[:40]}' (call {node}), which the model "
                                 "does not make")  # fmt: skip
            waiting[index] += 1
            readers.setdefault(source, []).append(index)
    import heapq

    ready = [index for index, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        index = heapq.heappop(ready)
        order.append(index)
        for reader in readers.get(index, []):
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, reader)
    if len(order) != len(pending):
        raise InputError(f"{where}: its layers read each other in a cycle")
    done: dict[tuple, int] = {}
    calls = []
    for index in order:
        number, node_index, arguments, init = pending[index]
        refs = [tuple(Ref(done[(name, node)], output) for name, node, output in group) for group in (arguments, init)]
        done[key_of[index]] = len(calls)
        calls.append((Call(number, refs[0], refs[1]), node_index))
    return calls


def _operation_names(entries: list) -> tuple:
    """The saved names of the mask operations, by (Keras type, what they read):
    rnnshape makes the operations again and gives them these names, as Keras
    does when it loads the model."""
    names = []
    for entry in entries:
        config = entry.get("config")
        if not str(entry.get("module", "")).startswith("keras.src.ops") or not isinstance(config, dict):
            continue
        nodes = entry.get("inbound_nodes")
        node = nodes[0] if isinstance(nodes, list) and len(nodes) == 1 and isinstance(nodes[0], dict) else {}
        reads = []
        for argument in node.get("args", []) if isinstance(node.get("args"), list) else []:
            for one in argument if isinstance(argument, list) else [argument]:
                history = one.get("config", {}).get("keras_history") if isinstance(one, dict) else None
                if isinstance(history, list) and len(history) == 3:
                    reads.append(f"{history[0]}[{history[1]}][{history[2]}]")
        if isinstance(config.get("name"), str):
            names.append(((str(entry.get("class_name")), tuple(reads)), config["name"]))
    return tuple(names)


def _node_tensors(node: Any, where: str) -> tuple[tuple, tuple]:
    """The tensors a call reads, as (layer name, node index, output index): its
    arguments (a list of them for a merge, and MultiHeadAttention's key), and
    its initial states. Masks it is handed are left out: rnnshape derives them."""
    if not isinstance(node, dict) or not isinstance(node.get("args", []), list):
        raise InputError(f"{where} has an inbound node rnnshape cannot read")
    arguments = []
    for argument in node.get("args", []):
        arguments += _tensors(argument, where)
    kwargs = node.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise InputError(f"{where} has an inbound node rnnshape cannot read")
    if kwargs.get("key") is not None:
        arguments += _tensors(kwargs["key"], where)
    init = _tensors(kwargs.get("initial_state"), where) if kwargs.get("initial_state") is not None else []
    for key in kwargs:
        if key not in ("mask", "training", "initial_state", "key", "query_mask", "value_mask", "key_mask"):
            raise InputError(f"{where} is called with {printable(str(key))[:40]}=, which rnnshape does not model")
    return tuple(arguments), tuple(init)


def _tensors(value: Any, where: str) -> list:
    """The Keras tensors in an argument: one, or a list of them."""
    values = value if isinstance(value, list) else [value]
    tensors = []
    for one in values:
        config = one.get("config") if isinstance(one, dict) and one.get("class_name") == "__keras_tensor__" else None
        history = config.get("keras_history") if isinstance(config, dict) else None
        if not (isinstance(history, list) and len(history) == 3 and isinstance(history[0], str)
                and all(_whole(number) for number in history[1:])):  # fmt: skip
            raise InputError(f"{where} reads something that is not a Keras tensor: rnnshape reads graphs of layers")
        tensors.append(tuple(history))
    return tensors


def _endpoints(value: Any, call_of: dict, where: str, key: str) -> tuple[Ref, ...]:
    """The model's inputs or outputs, from [[layer name, node, output], ...]."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        value = [value]  # one tensor, written without the outer list
    if not isinstance(value, list) or not value:
        raise InputError(f"{where} has no {key}")
    refs = []
    for one in value:
        if not (isinstance(one, list) and len(one) == 3 and (one[0], one[1]) in call_of and _whole(one[2])):
            raise InputError(f"{where}: its {key} name a tensor the model does not make")
        refs.append(Ref(call_of[(one[0], one[1])], one[2]))
    return tuple(refs)


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
                         "between its layers: rnnshape reads graphs of layers")  # fmt: skip
    return [entry for entry in layers if name(entry) not in ops]


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
    if not isinstance(shape, list) or len(shape) < 2 or not all(d is None or (_whole(d) and d > 0) for d in shape):
        raise InputError(f"{where}: the input layer has no usable batch_shape")
    for option in ("sparse", "ragged"):
        if config.get(option):
            raise InputError(f"{where}: a {option} input is not modelled by rnnshape")
    return tuple(shape[1:]), shape[0]


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
    if kind is RNN:
        return _rnn_text(config, where)
    if kind is TimeDistributed:
        inner = config.get("layer")
        inner_class = inner.get("class_name") if isinstance(inner, dict) else None
        if inner_class != "Dense":
            raise InputError(f"{where} wraps a {printable(str(inner_class))[:40]}: rnnshape's td wraps "
                             "Dense only")  # fmt: skip
        _only(config, {"layer"}, where)
        return "td:" + layer_text(inner, where)
    return ":".join([word] + _fields(kind, config, where))


def _rnn_text(config: dict, where: str) -> str:
    """RNN(LSTMCell(U), ...): cell:lstm:U with the cell's options and the RNN's."""
    cell = config.get("cell")
    cell_class = cell.get("class_name") if isinstance(cell, dict) else None
    word = {"SimpleRNNCell": "simple", "LSTMCell": "lstm", "GRUCell": "gru"}.get(cell_class)
    if word is None or not isinstance(cell.get("config"), dict):
        raise InputError(f"{where} runs a {printable(str(cell_class))[:40]}: rnnshape's cell takes SimpleRNNCell, "
                         "LSTMCell and GRUCell")  # fmt: skip
    merged = {**cell["config"], **{key: value for key, value in config.items() if key != "cell"}}
    return ":".join(["cell", word] + _fields(KINDS[word], merged, where))


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
    values = {kind.keras_arguments.get(key, key): _scalar(value) for key, value in config.items()}
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
            # Keras saves an axis of -1 as a list, and MultiHeadAttention its default axes, the steps, once built.
            if value != REQUIRED_DEFAULTS[key] and not (key == "axis" and value in (-1, [-1])) and not (
                    key == "attention_axes" and value == 1):
                raise InputError(f"{where} sets {key}={printable(str(value))[:40]}, which rnnshape does not model")
            continue
        flag = next((word for word in sorted(kind.flags) if FLAGS[word][0] == key), None)
        if flag is None and key in TRAINING_ONLY:
            continue
        if flag is None:
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
    if isinstance(value, list) and value and all(_integer(one) for one in value):
        return ",".join(map(str, value))  # Reshape's target_shape, Permute's dims, Dot's axes
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
    if how == "axes" and isinstance(value, list) and len(value) == 2 and all(_integer(one) for one in value):
        return f"{flag}={_format(value)}"
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InputError(f"{where} sets {FLAGS[flag][0]} to {printable(str(value))[:40]}, which rnnshape does not "
                         "model")  # fmt: skip
    return f"{flag}={_format(value)}"


def _program(graph: Graph) -> str:
    """A saved Functional model's program: with name= only where a layer's
    name is not the one Keras would give it in a fresh session, if the program
    then reads back as the same table (the names of the masks' operations
    included); else with every name."""
    from .graph import parse_program, program_text
    from .shapes import infer_graph

    def layout(summary) -> list:
        return [(row.name, row.type, row.connected_to) for row in summary.rows]

    expected = layout(infer_graph(graph))
    for automatic in (automatic_names(graph), ()):
        text = program_text(graph, automatic)
        try:
            if layout(infer_graph(parse_program(text))) == expected:
                return text
        except InputError:
            continue
    return program_text(graph)


def automatic_names(graph: Graph) -> list[str]:
    """For each layer, the name Keras would give it in a fresh session when the
    layers before it keep theirs (a layer given its name takes no count)."""
    counters: dict[str, int] = {}
    first_call = {}
    for number, call in enumerate(graph.calls):
        first_call.setdefault(call.layer, number)
    names = [""] * len(graph.layers)
    for number in sorted(range(len(graph.layers)), key=lambda layer: first_call.get(layer, len(graph.calls))):
        spec = graph.layers[number]
        bases = spec.layer.auto_names()
        for base in bases[:-1]:  # a wrapped layer takes its name whatever the wrapper is called
            next_name(base, counters)
        automatic = next_name(bases[-1], dict(counters))
        if spec.name == automatic:
            next_name(bases[-1], counters)
        names[number] = automatic
    return names


def saved_model(graph: Graph, name: str | None) -> SavedModel:
    """A graph (read from Keras code) as a saved model is: every layer with the
    name Keras gives it, for spec_line."""
    from .shapes import infer_graph

    summary = infer_graph(graph, name=name)
    names = [None] * len(graph.layers)
    calls = [node for node in summary.nodes if node.operation is None]  # the graph's calls, without mask ops
    for call, node in zip(graph.calls, calls):
        names[call.layer] = names[call.layer] or node.name
    layers = tuple(spec.replace(name=given or spec.name) for spec, given in zip(graph.layers, names))
    if graph.sequential:  # its layers in the order it calls them (the file's others are not the model's)
        source = layers[graph.calls[0].layer].layer
        return SavedModel(summary.model, tuple(source.shape), source.batch,
                          tuple(layers[call.layer] for call in graph.calls[1:]))  # fmt: skip
    return SavedModel(summary.model, (), None, (), graph=graph.replace(layers=layers))


def spec_line(saved: SavedModel) -> str:
    """The command-line equivalent of a saved model: the input options, then the
    specs, with name= where Keras's automatic name in a fresh session would differ,
    so that `rnnshape summary $(rnnshape spec --from M)` shows the same figures."""
    import shlex

    if saved.graph is not None:  # a Functional model: its program
        return (f"# model {saved.name}: rnnshape summary --name {shlex.quote(saved.name)} -f FILE\n"
                + _program(saved.graph).rstrip("\n"))  # fmt: skip
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
