
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
    input1 = keras.Input(shape=(10,), dtype='int32')
    input2 = keras.Input(shape=(10,), dtype='int32')
    embedding_layer1 = layers.Embedding(30, 8, mask_zero=True)
    lstm_layer1 = layers.LSTM(8)
    embedding1 = embedding_layer1(input1)
    embedding2 = embedding_layer1(input2)
    lstm1 = lstm_layer1(embedding1)
    lstm2 = lstm_layer1(embedding2)
    subtract1 = layers.Subtract()([lstm1, lstm2])
    multiply1 = layers.Multiply()([lstm1, lstm2])
    dot1 = layers.Dot(axes=1, normalize=True)([lstm1, lstm2])
    concatenate1 = layers.Concatenate()([lstm1, lstm2, subtract1, multiply1, dot1])
    dense1 = layers.Dense(1, activation='sigmoid')(concatenate1)
    return keras.Model(inputs=[input1, input2], outputs=dense1, name='siamese')


if __name__ == "__main__":
    build_model().summary()
