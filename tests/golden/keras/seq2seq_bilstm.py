
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
    input1 = keras.Input(shape=(None, 5))
    input2 = keras.Input(shape=(None, 6))
    _, bidirectional1_1, bidirectional1_2, bidirectional1_3, bidirectional1_4 = layers.Bidirectional(layers.LSTM(8, return_state=True))(input1)
    concatenate1 = layers.Concatenate()([bidirectional1_1, bidirectional1_3])
    concatenate2 = layers.Concatenate()([bidirectional1_2, bidirectional1_4])
    lstm1 = layers.LSTM(16, return_sequences=True)(input2, initial_state=[concatenate1, concatenate2])
    dense1 = layers.Dense(6, activation='softmax')(lstm1)
    return keras.Model(inputs=[input1, input2], outputs=dense1, name='functional')


if __name__ == "__main__":
    build_model().summary()
