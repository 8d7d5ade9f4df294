
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
    input1 = keras.Input(shape=(7, 3))
    rnn1 = layers.RNN(layers.LSTMCell(8), return_sequences=True)(input1)
    rnn2_0, rnn2_1 = layers.RNN(layers.GRUCell(4), return_state=True)(rnn1)
    rnn3 = layers.RNN(layers.SimpleRNNCell(3), go_backwards=True)(rnn1)
    concatenate1 = layers.Concatenate()([rnn2_0, rnn2_1, rnn3])
    return keras.Model(inputs=input1, outputs=concatenate1, name='functional')


if __name__ == "__main__":
    build_model().summary()
