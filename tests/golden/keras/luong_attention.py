
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
    input1 = keras.Input(shape=(None, 6))
    input2 = keras.Input(shape=(None, 5))
    lstm1_0, lstm1_1, lstm1_2 = layers.LSTM(8, return_sequences=True, return_state=True)(input1)
    lstm2 = layers.LSTM(8, return_sequences=True)(input2, initial_state=[lstm1_1, lstm1_2])
    attention1 = layers.Attention()([lstm2, lstm1_0])
    concatenate1 = layers.Concatenate()([attention1, lstm2])
    time_distributed1 = layers.TimeDistributed(layers.Dense(5, activation='softmax'))(concatenate1)
    return keras.Model(inputs=[input1, input2], outputs=time_distributed1, name='functional')


if __name__ == "__main__":
    build_model().summary()
