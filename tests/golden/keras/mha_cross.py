
build_model() returns it: its model.summary() and rnnshape's summary of the
same graph agree on every name, shape and count.

Layers without name= and the operations of masks (not_equal, ...) take Keras's
automatic names: build it in a fresh session (keras.backend.clear_session()).
"""

import keras
from keras import layers


def frozen(layer):
    """Freeze a layer as users do, layer.trainable = False (for Bidirectional and
    TimeDistributed, the constructor's trainable=False would not reach the
    wrapped layer)."""
    layer.trainable = False
    return layer


def build_model():
    input1 = keras.Input(shape=(5, 6))
    input2 = keras.Input(shape=(8, 4))
    input3 = keras.Input(shape=(8, 3))
    multi_head_attention1 = layers.MultiHeadAttention(2, 4, value_dim=3, output_shape=5, use_bias=False)(input1, input2, input3)
    multi_head_attention2 = layers.MultiHeadAttention(1, 2)(input1, input2)
    return keras.Model(inputs=[input1, input2, input3], outputs=[multi_head_attention1, multi_head_attention2], name='functional')


if __name__ == "__main__":
    build_model().summary()
