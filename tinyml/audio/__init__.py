"""Audio features for keyword spotting, the same on the host and on the device.

The reference is TensorFlow's audio microfrontend op (`tf_frontend.features`),
the op TFLM's micro_speech was trained with: Hann window, 16-bit fixed-point
FFT, mel filterbank, noise reduction, PCAN gain control and a log, configured
by `tinyml.config.FrontendConfig`.

The firmware computes the same features with the project's own C frontend
(firmware/frontend/: C99, fixed point, no malloc, state in a caller-provided
struct, a streaming `tml_frontend_feed` and a whole-clip `tml_frontend_run`).
It needs no set-up on the device: `frontend_tables.compute(config)` builds every
table the op builds at run time (window, FFT twiddles and input order,
filterbank weights, PCAN gain curve, log curve) in the op's own precision, and
`frontend_tables.write_sources` emits them as const C arrays plus a header of
sizes. `host.build_host` compiles the frontend for the host; the differential
tests (`*_differential_test.py`) check it against the op value for value, on
the host and in QEMU.

Audio firmware (`kws_firmware.build_audio_target`): the frontend, the model's
feature quantization (`feature_quant`: a step table equal to the converter's
quantization for every uint16 feature) and the model in one image that takes
raw PCM, checked on raw clips in QEMU against the tflite-micro interpreter on
the op's features. `wav` reads clips strictly; `device_eval` labels a folder
of clips and counts the arg-max decision's FAR and FRR per class.
"""
