
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
    input1 = keras.Input(shape=(20, 6))
    input2 = keras.Input(shape=(12,))
    lstm1 = layers.LSTM(16)(input1)
    dense1 = layers.Dense(8, activation='relu')(input2)
    concatenate1 = layers.Concatenate()([lstm1, dense1])
    dense2 = layers.Dense(16, activation='relu')(concatenate1)
    dense3 = layers.Dense(3, activation='softmax')(dense2)
    return keras.Model(inputs=[input1, input2], outputs=dense3, name='functional')


if __name__ == "__main__":
    build_model().summary()
