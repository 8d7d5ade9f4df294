
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
    input1 = keras.Input(shape=(7, 5))
    input2 = keras.Input(shape=(3,))
    masking1 = layers.Masking(-1.0)(input1)
    batch_normalization1 = frozen(layers.BatchNormalization())(input2)
    dot1 = layers.Dot(axes=1)([batch_normalization1, input2])
    dense1 = layers.Dense(2)(masking1)
    dot2 = layers.Dot(axes=1, normalize=True)([input2, batch_normalization1])
    return keras.Model(inputs=[input1, input2], outputs=[dot1, dense1, dot2], name='graph_1066')


if __name__ == "__main__":
    build_model().summary()
