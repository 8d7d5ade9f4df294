
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
    input1 = keras.Input(shape=(10, 16))
    multi_head_attention1 = layers.MultiHeadAttention(2, 16)(input1, input1)
    add1 = layers.Add()([input1, multi_head_attention1])
    layer_normalization1 = layers.LayerNormalization()(add1)
    dense1 = layers.Dense(16, activation='relu')(layer_normalization1)
    add2 = layers.Add()([layer_normalization1, dense1])
    layer_normalization2 = layers.LayerNormalization()(add2)
    global_average_pooling1d1 = layers.GlobalAveragePooling1D()(layer_normalization2)
    dense2 = layers.Dense(1)(global_average_pooling1d1)
    return keras.Model(inputs=input1, outputs=dense2, name='encoder_block')


if __name__ == "__main__":
    build_model().summary()
