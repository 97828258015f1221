"""WavExampleGen: a folder of labelled WAV files -> split tf.Examples, read file by file on Beam."""
