"""Keras's initialisers, and weights files in Keras's get_weights() layout."""

import numpy as np
import pytest

from rnnshape import InputError, summarize
from rnnshape.kinds import Weight
from rnnshape.weights import initial_weights, load_weights, save_weights

SUMMARY = summarize("emb:300:16 lstm:32:seq bi:gru:8 dense:4", (10,))


def draw(seed=0, dtype="float32"):
    return initial_weights(SUMMARY, seed, dtype)


def test_initialisers_follow_keras():
    (embeddings,), (kernel, recurrent_kernel, bias), gru_weights, (dense_kernel, dense_bias) = draw(dtype="float64")
    assert np.abs(embeddings).max() <= 0.05 and embeddings.std() > 0.02
    limit = np.sqrt(6 / (16 + 128))  # glorot_uniform on (16, 4 * 32)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    # orthogonal (32, 128): its rows are orthonormal
    np.testing.assert_allclose(recurrent_kernel @ recurrent_kernel.T, np.eye(32), atol=1e-12)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(32), np.ones(32), np.zeros(64)])  # unit_forget_bias
    assert [w.shape for w in gru_weights] == [(32, 24), (8, 24), (2, 24)] * 2
    assert not gru_weights[2].any() and not dense_bias.any()
    assert np.abs(dense_kernel).max() <= np.sqrt(6 / (16 + 4))


def test_seeded_and_typed():
    assert all(np.array_equal(a, b) for x, y in zip(draw(1), draw(1)) for a, b in zip(x, y))
    assert not np.array_equal(draw(1)[1][0], draw(2)[1][0])
    assert {a.dtype for arrays in draw(dtype="float64") for a in arrays} == {np.dtype("float64")}


def test_save_and_load_round_trip(tmp_path):
    path = tmp_path / "weights.npz"
    weights = draw()
    save_weights(str(path), weights)
    assert list(np.load(path).files) == [f"arr_{i}" for i in range(12)]
    loaded = load_weights(str(path), SUMMARY, "float32")
    assert all(np.array_equal(a, b) for x, y in zip(weights, loaded) for a, b in zip(x, y))


def write(tmp_path, arrays, name="w.npz", **named):
    path = tmp_path / name
    np.savez(path, *arrays, **named)
    return str(path)


def refused(path, message):
    with pytest.raises(InputError, match=message):
        load_weights(path, SUMMARY, "float32")


def test_bad_weight_files(tmp_path):
    flat = [a for arrays in draw() for a in arrays]
    refused(write(tmp_path, flat[:-1]), r"holds 11 arrays but the stack needs 12: the first one missing is "
                                        r"layer 4 'dense' weight 'bias' \(4,\)")
    refused(write(tmp_path, flat + [np.zeros(3)]), "holds 13 arrays but the stack needs 12: 1 too many")
    misshapen = flat[:2] + [np.zeros((32, 64))] + flat[3:]
    refused(write(tmp_path, misshapen), r"arr_2 .* \(layer 2 'lstm' weight 'recurrent_kernel'\) has shape "
                                        r"\(32, 64\), but the stack needs \(32, 128\)")
    refused(write(tmp_path, [flat[0].astype(int)] + flat[1:]), "dtype int64; weights must be floating point")
    refused(write(tmp_path, [], kernel=flat[0]), "expected arr_0, arr_1")
    objects = tmp_path / "objects.npz"
    np.savez(objects, *([np.array([{"a": 1}], dtype=object)] + flat[1:]))
    refused(str(objects), "holds Python objects, which rnnshape does not load")
    npy = tmp_path / "single.npy"
    np.save(npy, flat[0])
    refused(str(npy), "single .npy array")
    text = tmp_path / "text.npz"
    text.write_text("not a zip")
    refused(str(text), "is not an .npz archive")
    refused(str(tmp_path / "missing.npz"), "no such file")
    with pytest.raises(InputError, match="cannot write"):
        save_weights(str(tmp_path / "no" / "such" / "dir.npz"), draw())


def test_initialisers_of_the_wider_set_follow_keras():
    summary = summarize("conv1d:16:5 bn ln td:dense:4 masking lstm:3", (20, 6))
    (kernel, bias), bn, ln, (td_kernel, td_bias), masking, _lstm = initial_weights(summary, 0, "float64")
    limit = np.sqrt(6 / (5 * 6 + 5 * 16))  # Keras's fans for (kernel_size, in, out): kernel_size * in, kernel_size * out
    assert kernel.shape == (5, 6, 16) and np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    assert not bias.any() and masking == []
    gamma, beta, moving_mean, moving_variance = bn
    assert (gamma == 1).all() and not beta.any() and not moving_mean.any() and (moving_variance == 1).all()
    assert (ln[0] == 1).all() and not ln[1].any()
    assert np.abs(td_kernel).max() <= np.sqrt(6 / (16 + 4)) and not td_bias.any()


def test_every_declared_initialiser_is_known():
    from rnnshape.weights import _initial

    rng = np.random.default_rng(0)
    for name in ("glorot_uniform", "orthogonal", "zeros", "ones", "uniform", "unit_forget_bias"):
        assert _initial(Weight("w", (4, 8), name), rng).shape == (4, 8)
    with pytest.raises(ValueError, match="unknown initializer"):
        _initial(Weight("w", (4,), "he_normal"), rng)


def zip_bomb(path, declared_shape, data_bytes):
    """An .npz whose one member's header declares `declared_shape` (float32) and
    whose data is `data_bytes` of zeros, compressed to almost nothing."""
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": declared_shape})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("arr_0.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            chunk = bytes(2**20)
            for _ in range(data_bytes // len(chunk)):
                member.write(chunk)
    return str(path)


def test_a_zip_bomb_is_refused_from_its_header(tmp_path):
    """Issue 7: a 1 GiB array compressed to 1 MB was decompressed in full before anything was checked."""
    import tracemalloc

    summary = summarize("dense:4:nobias", (8,))
    bomb = zip_bomb(tmp_path / "bomb.npz", (2**26,), 2**28)  # 256 MiB of zeros
    assert (tmp_path / "bomb.npz").stat().st_size < 2**20
    tracemalloc.start()  # NumPy's and zlib's allocations are traced too
    try:
        with pytest.raises(InputError, match=r"has shape \(67108864,\), but the stack needs \(8, 4\)"):
            load_weights(bomb, summary, "float32")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20  # nowhere near the 256 MiB it would take


def test_an_archive_that_claims_more_than_its_header_is_refused(tmp_path):
    summary = summarize("dense:4:nobias", (8,))
    crafted = zip_bomb(tmp_path / "crafted.npz", (8, 4), 2**24)  # right header, 16 MiB behind it
    with pytest.raises(InputError, match="the file is damaged or crafted"):
        load_weights(crafted, summary, "float32")


def test_random_bytes_are_not_an_archive(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(InputError) as caught:
        load_weights(str(path), SUMMARY, "float32")
    assert "is not an .npz archive" in str(caught.value) and "allow_pickle" not in str(caught.value)
