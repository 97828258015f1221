"""Reading .tflite flatbuffers and planning their memory."""
