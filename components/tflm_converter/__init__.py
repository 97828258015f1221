"""TFLMConverter: trained model -> verified full-int8 TFLite model for microcontrollers."""
