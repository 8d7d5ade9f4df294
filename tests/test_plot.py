"""rnnshape plot: SVG, DOT and Mermaid pictures, checked as XML, by Graphviz's dot,
and laid out in a real headless browser; the unrolled view; escaping."""

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rnnshape import InputError, parse, summarize
from rnnshape.cli import main
from rnnshape.graph import parse_program
from rnnshape.plot import graph_picture, plot
from rnnshape.shapes import format_shape, infer_graph

REPOSITORY = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
# Graphs (programs, SPEC section 12), written by hand.
SEQ2SEQ = ("enc_in = input:None,71; _, h, c = lstm:256:state(enc_in); dec_in = input:None,93; "
           "dec, _, _ = lstm:256:seq:state(dec_in, init=[h, c]); out = dense:93:act=softmax(dec)")
SEQ2SEQ_STEPS = SEQ2SEQ.replace("None,71", "5,71").replace("None,93", "4,93")  # so that the steps show
SIAMESE = ("left = input:20; right = input:20; embed = embedding:5000:32:mask_zero; encode = lstm:64; "
           "a = encode(embed(left)); b = encode(embed(right)); d = subtract(a, b); "
           "y = dense:1:act=sigmoid(concat(a, b, d))")
TWO_INPUTS = "a = input:10,4; b = input:10,6; x = lstm:8:seq(a); z = gru:8:seq(b); m = concat(x, z); y = lstm:4(m)"
ATTENTION = ("enc_in = input:30,16; dec_in = input:20,12; enc, h, c = lstm:64:seq:state(enc_in); "
             "dec = lstm:64:seq(dec_in, init=[h, c]); context = attention(dec, enc); "
             "y = td:dense:12:act=softmax(concat(context, dec))")
MHA = "q = input:7,16; v = input:9,16; o = mha:2:4(q, v); y = dense:3(o)"
BIDIRECTIONAL_STATES = ("enc_in = input:6,8; dec_in = input:5,8; enc, fh, fc, bh, bc = bi:lstm:16:state(enc_in); "
                        "h = concat(fh, bh); c = concat(fc, bc); dec = lstm:32:seq(dec_in, init=[h, c]); y = dense:8(dec)")
BIDIRECTIONAL_DECODER = ("enc_in = input:6,8; dec_in = input:5,8; _, fh, bh = bi:gru:16:state(enc_in); "
                         "dec = bi:gru:16:seq(dec_in, init=[fh, bh]); y = dense:8(dec)")
SHARED_TWICE = "x = input:8; m = dense:8; a = m(x); b = m(a); y = dense:2(b)"  # a shared layer reads what it made
GRAPHS = [
    ("seq2seq", SEQ2SEQ, []),
    ("seq2seq_unrolled", SEQ2SEQ_STEPS, ["--unroll"]),
    ("siamese", SIAMESE, []),
    ("two_inputs", TWO_INPUTS, ["--expand"]),
    ("attention", ATTENTION, []),
    ("mha", MHA, []),
    ("bidirectional_states", BIDIRECTIONAL_STATES, []),
    ("bidirectional_states_unrolled", BIDIRECTIONAL_DECODER, ["--unroll"]),
    ("shared_twice", SHARED_TWICE, []),
]
GOLDEN = [
    ("stack", "-i 10,5", "bi:8:seq bi:8:seq", []),
    ("unrolled", "-i 10,5", "bi:8:seq", ["--unroll"]),
    ("text_classifier", "-i 100", "emb:5000:64:mask_zero bi:lstm:32:frozen dense:1:act=sigmoid", ["--expand"]),
    ("encoder_decoder", "-i 20,5", "lstm:64 repeat:10 lstm:64:seq td:dense:8", ["--unroll", "--expand"]),
    ("last_step_bidirectional", "-i 4,3", "bi:gru:5", ["--unroll"]),
] + [(name, "", program, options) for name, program, options in GRAPHS]
# The README's and docs/plot.md's pictures: (file, the command's options).
README_PICTURES = [("docs/stack.svg", ["-i", "10,5", "bi:8:seq bi:8:seq"]),
                   ("docs/unrolled.svg", ["-i", "10,5", "bi:8:seq", "--unroll"]),
                   ("docs/seq2seq.svg", [SEQ2SEQ]),
                   ("docs/seq2seq-unrolled.svg", [SEQ2SEQ_STEPS, "--unroll"])]  # fmt: skip


def run(*args):
    result = CliRunner().invoke(main, ["plot", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def texts(svg: str) -> list[str]:
    return ["".join(node.itertext()) for node in ElementTree.fromstring(svg.encode()).iter(f"{SVG}text")]


@pytest.mark.parametrize("name, dims, spec, options", GOLDEN, ids=[case[0] for case in GOLDEN])
@pytest.mark.parametrize("fmt, suffix", [("svg", "svg"), ("dot", "dot"), ("mermaid", "mmd")])
def test_golden_pictures(name, dims, spec, options, fmt, suffix, golden):
    text = run(*dims.split(), spec, *options, "--format", fmt)
    golden(f"plot/{name}.{suffix}", text)


def test_the_readme_pictures_are_current(request):
    for path, args in README_PICTURES:
        if request.config.getoption("--update-golden"):
            (REPOSITORY / path).write_text(run(*args), encoding="utf-8")
        assert run(*args) == (REPOSITORY / path).read_text(encoding="utf-8"), path
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    guide = (REPOSITORY / "docs" / "plot.md").read_text(encoding="utf-8")
    assert all(f"]({path})" in readme or f"]({Path(path).name})" in guide for path, _ in README_PICTURES)


def summary_of(dims: str, spec: str):
    """The summary a golden case plots: a stack on its input options, or a program."""
    if not dims:
        return infer_graph(parse_program(spec))
    return summarize(spec, [None if dim == "None" else int(dim) for dim in dims.split()[1].split(",")])


def layer_texts_in_order(summary, svg):
    """Every layer's name (Type), input and output shapes appear, in the model's order."""
    found = texts(svg)
    position = 0
    for row in summary.rows:
        for wanted in (f"{row.name} ({row.type})", f"Input shape: {format_shape(row.input_shape)}",
                       f"Output shape: {format_shape(row.output_shape)}"):  # fmt: skip
            position = found.index(wanted, position) + 1


LAYERS = st.sampled_from(["simple:{u}:seq", "lstm:{u}:seq", "gru:{u}:seq:back", "bi:{u}:seq", "bi:gru:{u}:seq:merge=sum",
                          "dense:{u}:frozen", "td:dense:{u}", "conv1d:{u}:2:pad=same", "maxpool", "layernorm",
                          "dropout:0.1", "bn:frozen", "lstm:{u}:seq:name=enc<>&'\"x"])  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(LAYERS, st.integers(1, 99)), min_size=1, max_size=5), st.sampled_from([None, 3, 15]),
       st.booleans(), st.booleans())  # fmt: skip
def test_any_stack_gives_valid_svg_with_every_layer_in_order(layers, steps, expand, unroll):
    specs = []
    for template, units in layers:  # a name once only: Keras refuses it twice
        spec = template.format(u=units)
        if "name=" in spec and "name=" in "".join(specs):
            continue
        specs.append(spec)
    try:
        summary = summarize(" ".join(specs), (steps, 4))
    except InputError:  # a stack Keras refuses (a pool longer than its input) has no picture
        assume(False)
    svg = plot(summary, "svg", expand, unroll)
    root = ElementTree.fromstring(svg.encode())  # well-formed XML
    assert root.tag == f"{SVG}svg"
    assert "<script" not in svg and "href" not in svg and "http://" not in svg.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")  # fmt: skip
    assert re.findall(r"url\((.*?)\)", svg) == ["#head"] * len(re.findall(r"url\(", svg))  # internal only
    layer_texts_in_order(summary, svg)


def test_unrolling_the_seed_chapters_bidirectional_draws_ten_steps_each_way():
    svg = run("-i", "10,5", "bi:8:seq", "--unroll")
    root = ElementTree.fromstring(svg.encode())
    cells = [node for node in root.iter(f"{SVG}rect") if "cell" in node.get("class", "").split()]
    assert len(cells) == 20 and all("returned" in cell.get("class") for cell in cells)  # seq: every step returned
    steps = [text for text in texts(svg) if text.startswith("h")]
    assert steps == [f"h{index}" for index in ("₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉", "₁₀")] * 2
    assert [text for text in texts(svg) if text.startswith("x") and len(text) > 1][:2] == ["x₁", "x₂"]
    assert "Unrolled: 10 steps, read both directions; returns every step's output" in texts(svg)


def test_unrolling_returns_the_last_step_only_without_seq_and_shows_long_and_unknown_lengths():
    svg = run("-i", "30,5", "lstm:8", "--unroll")
    cells = [node for node in ElementTree.fromstring(svg.encode()).iter(f"{SVG}rect")
             if "cell" in node.get("class", "").split()]  # fmt: skip
    assert len(cells) == 12  # 11 steps, an ellipsis, the last
    assert [cell.get("class") for cell in cells].count("cell returned") == 1
    assert "…" in texts(svg) and "h₃₀" in texts(svg)
    backwards = run("-i", "4,5", "gru:3:back", "--unroll")  # read from the last step: the first is returned
    assert "Unrolled: 4 steps, read from the last step (back); returns the last step's output" in texts(backwards)
    unknown = run("-i", "None,5", "simple:3:seq", "--unroll")
    assert "hₜ" in texts(unknown) and "Unrolled: T = None: a variable number of steps, read in order; returns every " \
        "step's output" in texts(unknown)  # fmt: skip


# A layer name has no space, ':' or '/' (Keras refuses '/'); all else may be in it.
CRAFTED = "<\\text><script>alert(1)<\\script>\"];x-->y[\"'\\\"->n0}{&amp;#quot;"


def test_a_crafted_name_cannot_inject_markup_dot_or_mermaid(tmp_path):
    specs = parse(f"lstm:3:name={CRAFTED} dense:1", comments=False)  # '#' as on the command line
    summary = summarize(specs, (4, 2), name=CRAFTED + " model")
    svg = plot(summary, "svg")
    root = ElementTree.fromstring(svg.encode())
    assert not list(root.iter(f"{SVG}script")) and f"{CRAFTED} (LSTM)" in texts(svg)
    assert root.find(f"{SVG}title").text == f'Model "{CRAFTED} model"'
    dot = plot(summary, "dot")
    if shutil.which("dot"):
        result = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0 and result.stdout.count("<g id=\"node") == 3  # no node the name made up
    assert dot.count("->") == 2 + CRAFTED.count("->") * 2  # the name's '->' only inside quoted labels
    mermaid = plot(summary, "mermaid")
    body = mermaid.split("---", 2)[2]
    assert "<script" not in body and '"];' not in body and "-->y" not in body


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed (.ci/run installs it)")
@pytest.mark.parametrize("name, dims, spec, options", GOLDEN, ids=[case[0] for case in GOLDEN])
def test_graphviz_accepts_the_dot(name, dims, spec, options):
    dot = run(*dims.split(), spec, *options, "--format", "dot")
    result = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and "<svg" in result.stdout, result.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
MEASURE = """<!DOCTYPE html><html><body>%s<pre id="result"></pre><script>
const problems = [];
const boxes = [...document.querySelectorAll("g.box")];
for (const group of boxes) {
  const rect = group.querySelector(":scope > rect").getBBox();
  for (const text of group.querySelectorAll(":scope > text")) {
    const box = text.getBBox();
    if (box.x < rect.x || box.x + box.width > rect.x + rect.width || box.y < rect.y || box.y + box.height > rect.y + rect.height)
      problems.push("text overflows its box: " + text.textContent);
  }
}
// Boxes side by side (the layers, the boxes inside one, its unrolled cells) must not overlap.
for (const parent of [...document.querySelectorAll("svg"), ...boxes]) {
  const siblings = [...parent.children].filter(node => node.matches("g.box"))
    .map(group => group.querySelector(":scope > rect").getBBox());
  for (let i = 0; i < siblings.length; i++) for (let j = i + 1; j < siblings.length; j++) {
    const a = siblings[i], b = siblings[j];
    if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
      problems.push("boxes overlap: " + i + " and " + j);
  }
}
// An arrow's label overlaps no layer's box and no other label.
for (const svg of document.querySelectorAll("svg")) {
  const layers = [...svg.children].filter(node => node.matches("g.box")).map(group => group.querySelector(":scope > rect").getBBox());
  const labels = [...svg.querySelectorAll("text.arrow-label")].map(text => [text.textContent, text.getBBox()]);
  const meets = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  for (let i = 0; i < labels.length; i++) {
    for (const layer of layers) if (meets(labels[i][1], layer)) problems.push("a label overlaps a box: " + labels[i][0]);
    for (let j = i + 1; j < labels.length; j++)
      if (meets(labels[i][1], labels[j][1])) problems.push("labels overlap: " + labels[i][0] + " and " + labels[j][0]);
  }
  // No arrow runs through a label (its own runs beside it): each straight run clipped to the label's box.
  for (const path of svg.querySelectorAll("path.edge")) {
    const points = path.getAttribute("d").trim().split(" ").map(point => point.slice(1).split(",").map(Number));
    for (let k = 0; k + 1 < points.length; k++) for (const [text, box] of labels) {
      const [x1, y1] = points[k], [x2, y2] = points[k + 1];
      let low = 0, high = 1;
      const clip = (p, q) => { if (p === 0) return q >= 0; const r = q / p;
        if (p < 0) { if (r > high) return false; low = Math.max(low, r); }
        else { if (r < low) return false; high = Math.min(high, r); } return true; };
      const left = box.x + 1, right = box.x + box.width - 1, top = box.y + 1, bottom = box.y + box.height - 1;
      if (clip(x1 - x2, x1 - left) && clip(x2 - x1, right - x1) && clip(y1 - y2, y1 - top) && clip(y2 - y1, bottom - y1)
          && low <= high)
        problems.push("an arrow runs through a label: " + text);
    }
  }
}
// A box inside another stays inside it.
for (const group of boxes) {
  const inside = group.parentElement.closest("g.box");
  if (!inside) continue;
  const a = group.querySelector(":scope > rect").getBBox(), b = inside.querySelector(":scope > rect").getBBox();
  if (a.x < b.x || a.y < b.y || a.x + a.width > b.x + b.width || a.y + a.height > b.y + b.height)
    problems.push("a box leaves the box it is in");
}
document.getElementById("result").textContent = JSON.stringify({problems, boxes: boxes.length,
  labels: document.querySelectorAll("text.arrow-label").length});
</script></body></html>"""


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("options", [
    ["-i", "10,5", "bi:8:seq bi:8:seq"],
    ["-i", "10,5", "bi:8:seq", "--unroll"],
    ["-i", "100", "emb:5000:64:mask_zero bi:lstm:32:seq:frozen td:dense:4 lstm:8 dense:1", "--expand", "--unroll"],
    ["-i", "None,3", "conv1d:4:2:pad=causal:name=a_very_long_layer_name_indeed_for_a_conv maxpool gru:4:state",
     "--expand"],
    ["-i", "12345,3", "simple:2:seq bi:gru:3:merge=ave", "--unroll"],
], ids=["stack", "unrolled", "expanded and unrolled", "long names", "long sequences"])  # fmt: skip
def test_a_real_browser_draws_no_overflowing_text_and_no_overlapping_boxes(options, tmp_path):
    measured = measured_in_browser([run(*options)], tmp_path)
    assert measured["boxes"] >= 2 and measured["problems"] == []


def measured_in_browser(pictures: list[str], folder: Path) -> dict:
    """Lay the SVG pictures out in headless Chromium, in one HTML page, and return
    what its script measured: the boxes, and every text that leaves its box and
    every two boxes that overlap."""
    page = folder / "page.html"
    svgs = "\n".join(picture.split("\n", 1)[1] for picture in pictures)  # without the XML declaration
    page.write_text(MEASURE % svgs, encoding="utf-8")
    result = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    found = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S)
    assert found, result.stderr[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def random_stacks(count: int, seed: int) -> list[tuple[str, tuple]]:
    """Stacks drawn at random, none of them written for a test, that Keras builds."""
    import random

    rng = random.Random(seed)
    words = ["simple:{u}:seq", "lstm:{u}:seq:state", "gru:{u}:seq:back", "bi:{u}:seq", "bi:lstm:{u}:seq:merge=none",
             "dense:{u}:frozen", "td:dense:{u}", "conv1d:{u}:3:pad=same", "maxpool", "layernorm", "bn:frozen",
             "lstm:{u}:seq:name=a_rather_long_name_{u}", "globalavg", "flatten", "dense:{u}", "repeat:{u}"]  # fmt: skip
    stacks = []
    while len(stacks) < count:
        specs = [rng.choice(words).format(u=rng.randint(1, 300)) for _ in range(rng.randint(1, 6))]
        dims = (rng.choice([None, 1, 7, 40]), rng.randint(1, 64))
        try:
            summarize(" ".join(specs), dims)
        except InputError:
            continue
        stacks.append((" ".join(specs), dims))
    return stacks


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_a_real_browser_lays_out_random_stacks_without_overflow_or_overlap(tmp_path):
    pictures = []
    for number, (spec, dims) in enumerate(random_stacks(12, seed=10)):
        pictures.append(plot(summarize(spec, dims), "svg", expand=number % 2 == 0, unroll=number % 3 == 0))
    measured = measured_in_browser(pictures, tmp_path)
    assert measured["boxes"] >= 24 and measured["problems"] == []


MERMAID = next((path for path in (Path(__import__("os").environ.get("RNNSHAPE_MERMAID_JS", "/nonexistent")),
                                   REPOSITORY / ".ci" / "node" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js")
                if path.is_file()), None)  # fmt: skip
RENDER = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><pre id="result"></pre>
<script src="%s"></script>
<script>
mermaid.initialize({startOnLoad: false});
Promise.all(%s.map((source, number) => mermaid.render("picture" + number, source))).then(pictures => {
  const parsed = pictures.map(({svg}) => new DOMParser().parseFromString(svg, "text/html"));
  document.getElementById("result").textContent = JSON.stringify({
    texts: parsed.map(picture => [...picture.querySelectorAll(".nodeLabel, .cluster-label, text")].map(node => node.textContent).join("\\n")),
    scripts: parsed.map(picture => picture.querySelectorAll("script").length)});
}).catch(error => { document.getElementById("result").textContent = JSON.stringify({error: String(error)}); });
</script></body></html>"""


@pytest.mark.skipif(MERMAID is None or CHROMIUM is None, reason="Mermaid's JavaScript and Chromium are needed "
                    "(.ci/run installs them with npm and the system's packages)")  # fmt: skip
def test_mermaid_itself_renders_the_mermaid_with_every_name_as_text(tmp_path):
    cases = [(dims, spec, options) for _name, dims, spec, options in GOLDEN]
    sources = [run(*dims.split(), spec, *options, "--format", "mermaid") for dims, spec, options in cases]
    crafted = summarize(parse(f"lstm:3:name={CRAFTED} dense:1", comments=False), (4, 2), name=CRAFTED + " model")
    sources.append(plot(crafted, "mermaid"))
    sources.append(plot(crafted_graph(), "mermaid"))
    page = tmp_path / "page.html"
    page.write_text(RENDER % (MERMAID.as_uri(), json.dumps(sources)), encoding="utf-8")
    result = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=20000",
                             "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=600)  # fmt: skip
    found = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S)
    assert found, result.stderr[-2000:]
    rendered = json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
                          .replace("&amp;", "&"))  # fmt: skip
    assert "error" not in rendered, rendered.get("error")
    assert rendered["scripts"] == [0] * len(sources)
    for (dims, spec, options), text in zip(cases, rendered["texts"]):
        summary = summary_of(dims, spec)
        for row in summary.rows:
            assert f"{row.name} ({row.type})" in text
    assert f"{CRAFTED} (LSTM)" in rendered["texts"][-2]  # the name, as text
    assert f"{CRAFTED} (LSTM)" in rendered["texts"][-1] and f"{CRAFTED}in (InputLayer)" in rendered["texts"][-1]


def test_the_format_comes_from_the_suffix_or_the_option(tmp_path):
    runner = CliRunner()
    for suffix, start in ((".svg", "<?xml"), (".dot", "digraph"), (".gv", "digraph"), (".mmd", "---")):
        path = tmp_path / f"model{suffix}"
        assert runner.invoke(main, ["plot", "-i", "4,2", "lstm:3", "-o", str(path)]).exit_code == 0
        assert path.read_text().startswith(start), suffix
    unknown = runner.invoke(main, ["plot", "-i", "4,2", "lstm:3", "-o", str(tmp_path / "model.txt")])
    assert unknown.exit_code == 2 and "--format" in unknown.stderr and not (tmp_path / "model.txt").exists()
    forced = tmp_path / "picture"  # no suffix: --format names the format
    assert runner.invoke(main, ["plot", "-i", "4,2", "lstm:3", "-o", str(forced), "--format", "mermaid"]).exit_code == 0
    assert forced.read_text().startswith("---")


@pytest.mark.parametrize("name, fmt, words", [
    ("model.png", None, ["not PNG", "--format dot | dot -Tpng -o ", "model.png", "model.svg and open it in a browser"]),
    ("model.png", "svg", ["not PNG", "dot -Tpng"]),
    ("model.JPEG", None, ["not JPG", "dot -Tjpg"]),
    ("model.pdf", "dot", ["not PDF", "dot -Tpdf"]),
    ("model.svg", "dot", ["ends in .svg but --format is dot", "model.dot"]),
    ("model.mmd", "svg", ["ends in .mmd but --format is svg", "model.svg"]),
    ("model.txt", "svg", ["does not end in .svg", "model.svg"]),
])
def test_a_picture_file_rnnshape_does_not_write_is_refused_with_the_way_to_get_it(tmp_path, name, fmt, words):
    """A PNG (or PDF ...) is Graphviz's to draw from the DOT, and a suffix that
    contradicts --format would put one format in another's file: both refused,
    before anything is written."""
    path = tmp_path / name
    result = CliRunner().invoke(main, ["plot", "-i", "4,2", "lstm:3", "-o", str(path), *(["--format", fmt] if fmt else [])])
    assert result.exit_code == 2 and result.stdout == "" and not path.exists()
    message = result.stderr.splitlines()
    assert len(message) == 1 and all(word in message[0] for word in words), message


def test_the_way_to_a_png_works(tmp_path):
    """The command the PNG message gives draws a PNG (with Graphviz)."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (.ci/run installs it)")
    message = CliRunner().invoke(main, ["plot", "-i", "4,2", "lstm:3", "-o", str(tmp_path / "m.png")]).stderr
    command = message.split("(", 1)[1].split(")", 1)[0].replace("...", "-i 4,2 lstm:3")
    subprocess.run(command, shell=True, check=True, cwd=tmp_path, timeout=600,
                   env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})  # fmt: skip
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_bad_stack_in_plot_is_bad_input():
    runner = CliRunner()
    bad = runner.invoke(main, ["plot", "-i", "4,2", "lstm:0"])
    assert bad.exit_code == 2 and bad.stdout == ""


# Graphs -------------------------------------------------------------------------------


def keras_graph_programs() -> list[tuple[str, str]]:
    """The graph programs real Keras 3 built (tests/fixtures/keras_graphs.json), by id."""
    graphs = json.loads((REPOSITORY / "tests" / "fixtures" / "keras_graphs.json").read_text(encoding="utf-8"))["graphs"]
    return [(graph["id"], graph["program"]) for graph in graphs if "refused" not in graph]


def arrows_of(svg: str) -> list[tuple[str, list[tuple[float, float]]]]:
    """Each arrow's title ("source → target: label") and its points."""
    found = []
    for path in ElementTree.fromstring(svg.encode()).iter(f"{SVG}path"):
        if path.get("class") == "edge":
            points = [tuple(float(value) for value in point[1:].split(",")) for point in path.get("d").split()]
            found.append((path.find(f"{SVG}title").text, points))
    return found


def layer_groups(svg: str) -> dict[str, ElementTree.Element]:
    """The top-level boxes, by their title."""
    root = ElementTree.fromstring(svg.encode())
    return {group.find(f"{SVG}text").text: group for group in root if group.get("class") == "box"}


def test_a_shared_layer_is_one_box_with_an_arrow_from_each_call():
    svg = run(SIAMESE)
    groups = layer_groups(svg)
    assert list(groups).count("lstm (LSTM)") == 1 and len(groups) == 9  # 2 inputs, 2 masks, embedding, lstm ...
    into = [title for title, _ in arrows_of(svg) if " → lstm (LSTM)" in title]
    assert sorted(into) == ["embedding (Embedding) → lstm (LSTM): call 1", "embedding (Embedding) → lstm (LSTM): call 2",
                            "not_equal (NotEqual) → lstm (LSTM): mask", "not_equal_1 (NotEqual) → lstm (LSTM): mask"]
    assert "Shared: 2 calls, one set of weights" in texts(svg)


def test_the_encoders_states_are_labelled_arrows_into_the_decoder():
    svg = run(SEQ2SEQ)
    titles = [title for title, _ in arrows_of(svg)]
    assert sorted(titles) == ["input_layer (InputLayer) → lstm (LSTM)", "input_layer_1 (InputLayer) → lstm_1 (LSTM)",
                              "lstm (LSTM) → lstm_1 (LSTM): c", "lstm (LSTM) → lstm_1 (LSTM): h",
                              "lstm_1 (LSTM) → dense (Dense)"]
    labels = [text for text in texts(svg) if text in ("h", "c")]
    assert sorted(labels) == ["c", "h"]
    dot = run(SEQ2SEQ, "--format", "dot")
    assert 'n1 -> n3 [label="h"];' in dot and 'n1 -> n3 [label="c"];' in dot
    assert 'n1 -->|"h"| n3' in run(SEQ2SEQ, "--format", "mermaid")


def test_unrolled_the_state_runs_from_the_encoders_last_step_to_the_decoders_first():
    svg = run(SEQ2SEQ_STEPS, "--unroll")
    groups = layer_groups(svg)

    def cells(name):
        return [(float(rect.get("x")), float(rect.get("y")), float(rect.get("width")))
                for rect in groups[name].iter(f"{SVG}rect") if "cell" in rect.get("class").split()]

    encoder, decoder = cells("lstm (LSTM)"), cells("lstm_1 (LSTM)")
    assert len(encoder) == 5 and len(decoder) == 4
    (title, points), = [(title, points) for title, points in arrows_of(svg) if title.endswith(": h, c")]
    assert title == "lstm (LSTM) → lstm_1 (LSTM): h, c"
    last, first = max(encoder), min(decoder)
    assert points[0][0] == pytest.approx(last[0] + last[2], abs=0.1) and last[1] < points[0][1] < last[1] + 26
    assert points[-1][0] == pytest.approx(first[0] - 2, abs=0.1) and first[1] < points[-1][1] < first[1] + 26
    assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(points, points[1:]))  # square, as inside the boxes
    # Out of the encoder's right, down, across below it, down beside the decoder and in from its left ...
    assert [(b[0] > a[0]) - (b[0] < a[0]) or 2 * ((b[1] > a[1]) - (b[1] < a[1])) for a, b in zip(points, points[1:])] \
        == [1, 2, -1, 2, 1]  # fmt: skip
    # ... crossing no other arrow: the decoder's input comes down right of where the state turns, and below it.
    (_, inputs), = [(title, line) for title, line in arrows_of(svg) if title.startswith("input_layer_1")]
    assert min(x for x, _ in inputs[:-2]) > points[1][0] and min(y for _, y in inputs[-3:]) > points[2][1]
    # Its label sits over the run into the decoder's first step, outside the box.
    label, = [node for node in ElementTree.fromstring(svg.encode()).iter(f"{SVG}text") if node.text == "h, c"]
    assert points[-2][0] < float(label.get("x")) < points[-1][0] and 0 < points[-1][1] - float(label.get("y")) < 8
    dot = run(SEQ2SEQ_STEPS, "--unroll", "--format", "dot")
    assert 'n1_d0_s4 -> n3_d0_s0 [label="h, c"];' in dot


@pytest.mark.parametrize("graph_id, program", [(name, program) for name, program, _ in GRAPHS] + keras_graph_programs(),
                         ids=[case[0] for case in GRAPHS] + [case[0] for case in keras_graph_programs()])
def test_unrolled_states_run_square_into_their_steps(graph_id, program):
    """Every arrow out of or into an unrolled step runs horizontally and
    vertically only, as the arrows inside an unrolled box do."""
    summary = infer_graph(parse_program(program))
    _drawn, arrows = graph_picture(summary, unroll=True)
    for arrow, (title, points) in zip(arrows, arrows_of(plot(summary, "svg", unroll=True))):
        if (arrow.from_copy is not None or arrow.to_copy is not None) and points[-1][1] > points[0][1]:
            assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(points, points[1:])), title


def test_a_bidirectional_layer_returning_its_last_step_merges_once():
    svg = run("-i", "4,3", "bi:5", "--unroll")
    merges = [rect for rect in ElementTree.fromstring(svg.encode()).iter(f"{SVG}rect") if rect.get("class") == "merge"]
    assert len(merges) == 1 and [text for text in texts(svg) if text.startswith("y") and len(text) > 1] == ["y₄"]


@pytest.mark.parametrize("graph_id, program", keras_graph_programs(), ids=[case[0] for case in keras_graph_programs()])
def test_every_tensor_read_is_one_arrow(graph_id, program):
    summary = infer_graph(parse_program(program))
    model, waiting = {ref.call for ref in summary.inputs}, [ref.call for ref in summary.outputs]
    while waiting:  # the calls in the model: those its outputs need, and its inputs
        node = waiting.pop()
        if node not in model:
            model.add(node)
            waiting += [ref.call for ref in summary.nodes[node].reads]
    reads = {(ref, summary.nodes[node].name) for node in model for ref in summary.nodes[node].reads}
    assert len(arrows_of(plot(summary, "svg"))) == len(reads)
    assert plot(summary, "dot").count(" -> ") == len(reads)


def test_a_program_of_an_input_alone_is_one_box():
    svg = run("x0 = input:6,3")
    assert list(layer_groups(svg)) == ["input_layer (InputLayer)"] and arrows_of(svg) == []


def crafted_graph():
    """A graph whose layer and input are named to break out of every format."""
    graph = parse_program("x = input:4,2; m = lstm:3:state; y, h, c = m(x); z = dense:1(concat(y, h))")
    layers = list(graph.layers)
    layers[0] = layers[0].replace(name=CRAFTED + "in")
    layers[1] = layers[1].replace(name=CRAFTED)
    return infer_graph(graph.replace(layers=tuple(layers)), name=CRAFTED + " model")


def test_crafted_names_in_a_graph_stay_text():
    summary = crafted_graph()
    svg = plot(summary, "svg", unroll=True)
    root = ElementTree.fromstring(svg.encode())
    assert not list(root.iter(f"{SVG}script")) and f"{CRAFTED} (LSTM)" in texts(svg)
    assert [title for title, _ in arrows_of(svg)][0] == f"{CRAFTED}in (InputLayer) → {CRAFTED} (LSTM)"
    dot = plot(summary, "dot")
    if shutil.which("dot"):
        result = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0 and result.stdout.count('<g id="node') == 4 and result.stdout.count('<g id="edge') == 4
    mermaid = plot(summary, "mermaid").split("---", 2)[2]
    assert "<script" not in mermaid and '"];' not in mermaid and "-->y" not in mermaid


@pytest.mark.parametrize("program", ["x = input:4,2; y = lstm:3(z)", "x = input:4,2; y = lstm:0(x)",
                                     "a = input:8; b = input:6; y = add(a, b)"])
def test_a_bad_graph_in_plot_is_bad_input(program):
    result = CliRunner().invoke(main, ["plot", program])
    assert result.exit_code == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ")


def large_graph_programs() -> dict[str, str]:
    """A 2,000-call chain, a tree of 999 adds over 1,000 inputs, and 1,000
    layers every one of which a last concat reads again (a long arrow from each).
    benchmarks/plot_graphs.py times them."""
    chain = "; ".join(["x0 = input:6,3"] + [f"x{i} = dense:3(x{i - 1})" for i in range(1, 2000)])
    inputs = [f"i{k}" for k in range(1000)]
    tree, level, count = [f"{name} = input:4" for name in inputs], inputs, 0
    while len(level) > 1:
        merged = []
        for a, b in zip(level[::2], level[1::2]):
            tree.append(f"m{count} = add({a}, {b})")
            merged.append(f"m{count}")
            count += 1
        level = merged + level[len(level) - len(level) % 2:]
    # Every layer of a chain read again at the end: a long arrow from each.
    skips = "; ".join(["x0 = input:4"] + [f"x{i} = dense:4(x{i - 1})" for i in range(1, 1000)]
                      + ["y = concat(" + ", ".join(f"x{i}" for i in range(1, 1000)) + ")"])
    return {"chain": chain, "tree": "; ".join(tree), "skips": skips}


@pytest.mark.parametrize("name", ["chain", "tree", "skips"])
def test_large_graphs_are_drawn_whole(name):
    """Every tensor read is one arrow, however large the graph (their layout's
    time is a benchmark's: benchmarks/plot_graphs.py)."""
    summary = infer_graph(parse_program(large_graph_programs()[name]))
    svg = plot(summary, "svg")
    assert svg.count('class="edge"') == sum(len(node.reads) for node in summary.nodes) >= 999


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_a_real_browser_lays_out_every_graph_without_overlaps(tmp_path):
    """The hand-written graphs and every graph Keras built for the fixtures,
    plain, expanded and unrolled: no text leaves its box, no boxes overlap, no
    arrow label overlaps a box or another label."""
    programs = [program for _name, program, _options in GRAPHS] + [program for _id, program in keras_graph_programs()]
    pictures = [plot(infer_graph(parse_program(program)), "svg", expand, unroll)
                for program in programs for expand, unroll in ((False, False), (True, False), (False, True))]  # fmt: skip
    boxes = labels = 0
    for start in range(0, len(pictures), 120):
        measured = measured_in_browser(pictures[start:start + 120], tmp_path)
        assert measured["problems"] == []
        boxes, labels = boxes + measured["boxes"], labels + measured["labels"]
    assert len(programs) > 150 and boxes > 3000 and labels > 300, (len(programs), boxes, labels)


def test_control_characters_in_a_saved_models_names_stay_on_their_line(tmp_path):
    """Found in review: a newline in a saved layer's (or model's) name reached
    the DOT and Mermaid text raw, splitting a statement."""
    config = json.loads((REPOSITORY / "tests" / "fixtures" / "crafted_graphs" / "markup_names.json").read_text())
    text = json.dumps(config).replace('"e"', '"e\\nf\\u001b[31m"').replace('"name": "functional"', '"name": "m\\nodel"')
    (tmp_path / "model.json").write_text(text)
    for fmt, shown in (("dot", "e\\\\nf\\\\x1b[31m"), ("mermaid", "e\\nf\\x1b[31m")):  # DOT doubles a backslash
        result = CliRunner().invoke(main, ["plot", "--from", str(tmp_path / "model.json"), "--format", fmt])
        assert result.exit_code == 0, result.stderr
        assert shown in result.stdout and "\x1b" not in result.stdout
        plain = CliRunner().invoke(main, ["plot", "--from", str(REPOSITORY / "tests" / "fixtures" / "crafted_graphs" /
                                                         "markup_names.json"), "--format", fmt]).stdout  # fmt: skip
        assert len(result.stdout.splitlines()) == len(plain.splitlines())  # no name broke a line
    if shutil.which("dot"):
        dot = CliRunner().invoke(main, ["plot", "--from", str(tmp_path / "model.json"), "--format", "dot"]).stdout
        assert subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=600).returncode == 0
