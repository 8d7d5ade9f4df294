
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
    input1 = keras.Input(shape=(None, 71))
    input2 = keras.Input(shape=(None, 93))
    _, lstm1_1, lstm1_2 = layers.LSTM(256, return_state=True)(input1)
    lstm2_0, _, _ = layers.LSTM(256, return_sequences=True, return_state=True)(input2, initial_state=[lstm1_1, lstm1_2])
    dense1 = layers.Dense(93, activation='softmax')(lstm2_0)
    return keras.Model(inputs=[input1, input2], outputs=dense1, name='functional')


if __name__ == "__main__":
    build_model().summary()
