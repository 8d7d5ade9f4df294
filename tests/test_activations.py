"""NumPy activations against the scalar reference, in place and out of place."""

import math

import numpy as np
import pytest

import reference
from rnnshape.activations import ACTIVATIONS, erfc
from rnnshape.kinds import ACTIVATIONS as SPEC_ACTIVATIONS

POINTS = np.concatenate([np.linspace(-8, 8, 161), [-50.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 50.0]])


def test_every_name_the_parser_accepts_has_a_function():
    assert set(ACTIVATIONS) == set(SPEC_ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("in_place", [False, True])
def test_activation_matches_reference(name, in_place):
    x = np.tile(POINTS, (2, 1)).T  # (features, batch): softmax acts per column
    expected = np.array([reference.activate(name, column) for column in x.T]).T
    buffer = x.copy()
    out = buffer if in_place else np.empty_like(x)
    result = ACTIVATIONS[name](buffer, out=out)
    assert result is out
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_float32_stays_float32(name):
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    out = np.empty_like(x)
    assert ACTIVATIONS[name](x, out=out).dtype == np.float32


def test_erfc_is_precise_everywhere():
    x = np.linspace(-6, 26, 32001)
    expected = np.array([math.erfc(v) for v in x])
    np.testing.assert_allclose(erfc(x), expected, rtol=1e-12)
