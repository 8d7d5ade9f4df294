# An IMDB-style classifier whose vocabulary size comes from the data.
import keras
from keras import layers

vocab_size = len(tokenizer.word_index) + 1
max_length = 200

inputs = keras.Input(shape=(max_length,), dtype="int32")
x = layers.Embedding(vocab_size, 64, mask_zero=True)(inputs)
for units in [64, 32]:
    x = layers.Bidirectional(layers.LSTM(units, return_sequences=units != 32))(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs, name="imdb")
