/* The int8 operators. One parameter struct per operator, filled ahead of time
 * by the generated model plan (const, so it sits in flash): tensor pointers
 * into the model array or the arena, shapes, and requantization constants the
 * host computed. Shapes are NHWC; `shift` follows TFLite (> 0 shifts left).
 *
 * `fast_requant` (conv, depthwise conv, fully connected) is 1 when the host
 * found, from the weights and biases, that every accumulator plus bias lies in
 * (-2^30, 2^30) for any int8 input and every shift is in [-31, -1]: the
 * optimized kernels then requantize with one SMMLAR (src/optimized/mac_requant.h).
 * The reference kernels ignore it. */
#ifndef TML_KERNELS_H_
#define TML_KERNELS_H_

#include <stdint.h>
#include <string.h>

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
  int32_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
} tml_window_shape;

typedef struct {
  const int8_t *input;
  const int8_t *filter; /* [out_c, k_h, k_w, in_c] */
  const int32_t *bias;  /* [out_c] or NULL */
  int8_t *output;
  const int32_t *multiplier; /* per output channel */
  const int8_t *shift;       /* per output channel */
  tml_window_shape s;
  int32_t input_offset, output_offset, act_min, act_max;
  int32_t fast_requant;
} tml_conv_2d_params;

typedef struct {
  const int8_t *input;
  const int8_t *filter; /* [1, k_h, k_w, out_c], out_c = in_c * depth_multiplier */
  const int32_t *bias;
  int8_t *output;
  const int32_t *multiplier;
  const int8_t *shift;
  tml_window_shape s;
  int32_t depth_multiplier;
  int32_t input_offset, output_offset, act_min, act_max;
  int32_t fast_requant;
} tml_depthwise_conv_2d_params;

typedef struct {
  const int8_t *input;
  const int8_t *filter; /* [out_c, depth] */
  const int32_t *bias;
  int8_t *output;
  const int32_t *multiplier; /* per output channel (a per-tensor value repeated) */
  const int8_t *shift;
  int32_t batches, depth, out_c;
  int32_t input_offset, filter_offset, output_offset, act_min, act_max;
  int32_t fast_requant;
} tml_fully_connected_params;

typedef struct {
  const int8_t *input;
  int8_t *output;
  tml_window_shape s; /* in_c == out_c; k_h/k_w is the pool window */
  int32_t act_min, act_max;
} tml_pool_params;

typedef struct {
  const int8_t *input;
  int8_t *output;
  int32_t bytes;
} tml_reshape_params;

/* Element types of the tensors some kernels take in more than one width. */
typedef enum { TML_INT8 = 1, TML_INT16 = 2, TML_INT32 = 4 } tml_int_type;

/* int8 input; output int8 (scale 1/256, zero point -128) or int16 (zero point -32768). */
typedef struct {
  const int8_t *input;
  void *output;
  int32_t rows, depth;
  int32_t input_multiplier, input_left_shift, diff_min;
  tml_int_type output_type; /* TML_INT8 or TML_INT16 */
} tml_softmax_params;

/* Two-input elementwise ops broadcast in up to 4-D: for each output dim, the
 * element stride of each input (0 where that input is broadcast). */
typedef struct {
  int32_t shape[4];
  int32_t stride1[4], stride2[4];
} tml_broadcast_shape;

typedef struct {
  const int8_t *input1, *input2;
  int8_t *output;
  tml_broadcast_shape b;
  int32_t input1_offset, input2_offset, output_offset, left_shift;
  int32_t input1_multiplier, input1_shift, input2_multiplier, input2_shift;
  int32_t output_multiplier, output_shift, act_min, act_max;
} tml_add_params;

typedef struct {
  const int8_t *input1, *input2;
  int8_t *output;
  tml_broadcast_shape b;
  int32_t input1_offset, input2_offset, output_offset;
  int32_t output_multiplier, output_shift, act_min, act_max;
} tml_mul_params;

typedef struct {
  const int8_t *input;
  int8_t *output;
  int32_t in_shape[4], out_shape[4], before[4];
  int32_t pad_value;
} tml_pad_params;

typedef struct {
  const int8_t *input;
  int8_t *output;
  /* input dims padded to 4-D; reduced dims have out stride 0 */
  int32_t in_shape[4];
  uint8_t reduce[4];
  int32_t num_reduced, input_zero_point, output_zero_point;
  int32_t multiplier, shift; /* in_scale / out_scale / num_reduced, host-folded */
} tml_mean_params;

typedef struct {
  const int8_t *const *inputs;
  const int32_t *copy_bytes; /* per input: bytes per outer step */
  int8_t *output;
  int32_t num_inputs, outer;
} tml_concatenation_params;

/* QUANTIZE between integer types (int8/int16 in; int8/int16/int32 out). */
typedef struct {
  const void *input;
  void *output;
  int32_t size, input_zero_point, output_zero_point, multiplier, shift;
  tml_int_type input_type, output_type;
} tml_quantize_params;

/* RELU and RELU6 as standalone ops: requantize, then clamp to [act_min, act_max]. */
typedef struct {
  const int8_t *input;
  int8_t *output;
  int32_t size, input_zero_point, output_zero_point, multiplier, shift, act_min, act_max;
} tml_relu_params;

/* DEQUANTIZE int8 -> float32; the one kernel with a float tensor (a model's output). */
typedef struct {
  const int8_t *input;
  float *output;
  int32_t size, zero_point;
  float scale;
} tml_dequantize_params;

/* LOGISTIC and TANH: input rescaled to Q4.27, outputs saturate beyond the radius. */
typedef struct {
  const int8_t *input;
  int8_t *output;
  int32_t size, input_zero_point, input_multiplier, input_left_shift, input_range_radius;
} tml_sigmoid_params;

/* Windowed kernels (conv, depthwise conv, average and max pool), reference and
 * optimized, keep this contract: the memory plan may place their output over
 * the already consumed part of their input (tinyml/tflite/memory_plan.py).
 * Output pixels are computed in raster order (batch, y, x), all channels of a
 * pixel together; while writing pixel p a kernel reads input only of pixels
 * >= p, with at most one pixel of lookahead (p and p + 1 may be computed
 * together, so p + 1 may be written while p's inputs are still needed). */
void tml_conv_2d(const tml_conv_2d_params *p);
/* Variants of tml_conv_2d with the same results, each for the shapes
 * tinyml/firmware/prepare/conv.py picks it for, so an image links only the
 * paths its ops use. */
void tml_conv_2d_direct(const tml_conv_2d_params *p);
void tml_conv_2d_cols4(const tml_conv_2d_params *p);
void tml_conv_2d_one_channel(const tml_conv_2d_params *p);
void tml_depthwise_conv_2d(const tml_depthwise_conv_2d_params *p);
void tml_fully_connected(const tml_fully_connected_params *p);
void tml_average_pool_2d(const tml_pool_params *p);
void tml_max_pool_2d(const tml_pool_params *p);
void tml_reshape(const tml_reshape_params *p);
void tml_softmax(const tml_softmax_params *p);
/* ADD, reference and optimized, keeps this contract (the memory plan may place
 * its output at or below an input it replaces): with inputs of the output's
 * shape, element i of both inputs is read before output element i is written,
 * and no earlier element is read afterwards. */
void tml_add(const tml_add_params *p);
void tml_mul(const tml_mul_params *p);
void tml_pad(const tml_pad_params *p);
void tml_mean(const tml_mean_params *p);
void tml_concatenation(const tml_concatenation_params *p);
void tml_quantize(const tml_quantize_params *p);
void tml_relu(const tml_relu_params *p);
void tml_dequantize(const tml_dequantize_params *p);
void tml_logistic(const tml_sigmoid_params *p);
void tml_tanh(const tml_sigmoid_params *p);

/* ---- SVDF ---- */

/* SVDF, int8 input and output, its state (a variable tensor: it persists
 * across invokes) and time weights both int8 or both int16. Per invoke the
 * state of each filter shifts one step into the past, the newest step is the
 * feature matmul (requantized by multiplier_1/shift_1 into the state's
 * quantization), then each filter's history is weighed by its time weights,
 * the `rank` filters of a unit summed with its bias and requantized
 * (multiplier_2/shift_2) to the output. */
typedef struct {
  const int8_t *input;
  const int8_t *weights_feature; /* [filters, input_size] */
  const void *weights_time;      /* [filters, memory], state_type */
  const int32_t *bias;           /* [units] */
  void *state;                   /* [batches, filters, memory], state_type */
  int8_t *output;                /* [batches, units] */
  int32_t batches, input_size, filters, rank, memory;
  int32_t input_zero_point, state_zero_point, output_zero_point;
  int32_t multiplier_1, shift_1, multiplier_2, shift_2;
  tml_int_type state_type; /* TML_INT8 or TML_INT16 */
} tml_svdf_params;

void tml_svdf(const tml_svdf_params *p);

/* ---- Data movement ---- */

/* Data movement without arithmetic: int8 bytes are copied unchanged, as TFLM
 * copies them whatever the tensors' quantization (firmware/runtime/src/kernels/
 * strided_slice.c, slice.c, transpose.c, split.c, gather.c; PACK runs as
 * tml_concatenation). */

/* STRIDED_SLICE, SLICE, TRANSPOSE: output element (i0, ..., i4), written in
 * raster order, is input[i0 * in_stride[0] + ... + i4 * in_stride[4]]. The
 * host folds begin, strides and permutation into these: `input` points at the
 * first element read, a stride is negative where the slice runs backwards. */
#define TML_COPY_DIMS 5
typedef struct {
  const int8_t *input;
  int8_t *output;
  int32_t shape[TML_COPY_DIMS];     /* output shape, padded with leading 1s */
  int32_t in_stride[TML_COPY_DIMS]; /* in elements */
} tml_strided_copy_params;

/* SPLIT, SPLIT_V, UNPACK: the input as `outer` rows, each row the outputs'
 * blocks one after another (the inverse of CONCATENATION). */
typedef int8_t *tml_int8_ptr;
typedef struct {
  const int8_t *input;
  const tml_int8_ptr *outputs;
  const int32_t *copy_bytes; /* per output: bytes per outer step */
  int32_t num_outputs, outer;
} tml_split_params;

/* GATHER: input as [batches, outer, axis_size, inner], indices as [batches,
 * num_indices] (each in [0, axis_size), checked by the host), output as
 * [batches, outer, num_indices, inner]. */
typedef struct {
  const int8_t *input;
  const int32_t *indices;
  int8_t *output;
  int32_t batches, outer, axis_size, inner, num_indices;
} tml_gather_params;

void tml_strided_slice(const tml_strided_copy_params *p);
void tml_slice(const tml_strided_copy_params *p);
void tml_transpose(const tml_strided_copy_params *p);
void tml_split(const tml_split_params *p);
void tml_gather(const tml_gather_params *p);

/* ---- Element-wise operators: SUB, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, RSQRT,
 * HARD_SWISH, LEAKY_RELU, PRELU. SUB and SQUARED_DIFFERENCE take tml_add_params:
 * the same two rescaled inputs (SQUARED_DIFFERENCE with left_shift 7), then the
 * difference, or its square, requantized to the output. ---- */

/* MAXIMUM and MINIMUM compare raw int8 values, as TFLM does; the host requires
 * one quantization for both inputs and the output, so that is the real max/min. */
typedef struct {
  const int8_t *input1, *input2;
  int8_t *output;
  tml_broadcast_shape b;
} tml_max_min_params;

/* RSQRT: the output for each int8 input, table[input + 128], computed on the host. */
typedef struct {
  const int8_t *input;
  int8_t *output;
  int32_t size;
  const int8_t *table;
} tml_lookup_params;

/* HARD_SWISH: int16 fixed-point multipliers (Q15) with power-of-two exponents for
 * the input on the output scale and for the "relu-ish" factor relu6(x + 3) / 6. */
typedef struct {
  const int8_t *input;
  int8_t *output;
  int32_t size, input_zero_point, output_zero_point;
  int32_t output_multiplier, output_shift; /* output_shift <= 0 */
  int32_t reluish_multiplier, reluish_shift;
} tml_hard_swish_params;

/* LEAKY_RELU: requantized by identity_* for inputs at or above the zero point,
 * by alpha_* (alpha times the identity) below it. */
typedef struct {
  const int8_t *input;
  int8_t *output;
  int32_t size, input_zero_point, output_zero_point;
  int32_t identity_multiplier, identity_shift, alpha_multiplier, alpha_shift;
} tml_leaky_relu_params;

/* PRELU: like LEAKY_RELU with an int8 alpha tensor broadcast against the input;
 * negative inputs are multiplied by their alpha, then requantized by alpha_*. */
typedef struct {
  const int8_t *input, *alpha;
  int8_t *output;
  tml_broadcast_shape b;
  int32_t input_offset, alpha_offset, output_offset;
  int32_t identity_multiplier, identity_shift, alpha_multiplier, alpha_shift;
} tml_prelu_params;

void tml_sub(const tml_add_params *p);
void tml_maximum(const tml_max_min_params *p);
void tml_minimum(const tml_max_min_params *p);
void tml_squared_difference(const tml_add_params *p);
void tml_rsqrt(const tml_lookup_params *p);
void tml_hard_swish(const tml_hard_swish_params *p);
void tml_leaky_relu(const tml_leaky_relu_params *p);
void tml_prelu(const tml_prelu_params *p);

/* RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR, int8 NHWC; neither requantizes
 * (TFLM copies or interpolates the raw values). */
typedef struct {
  const int8_t *input;
  int8_t *output;
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  const int32_t *rows; /* [out_h]: the input row each output row copies */
  const int32_t *cols; /* [out_w] */
} tml_resize_nearest_neighbor_params;

typedef struct {
  const int8_t *input;
  int8_t *output;
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t scale_h, scale_w; /* input / output size in Q10, rounded as TFLM does */
  int32_t half_pixel_centers;
} tml_resize_bilinear_params;

void tml_resize_nearest_neighbor(const tml_resize_nearest_neighbor_params *p);
void tml_resize_bilinear(const tml_resize_bilinear_params *p);

/* TRANSPOSE_CONV takes CONV_2D's parameters: filter [out_c, k_h, k_w, in_c],
 * s.in_* the input and s.out_* the output; pad_h/pad_w are the rows/columns
 * cropped from the front of the full transposed convolution; dil_* are 1. */
void tml_transpose_conv(const tml_conv_2d_params *p);

/* ---- 16x8: int16 activations (zero point 0), int8 weights, int64 biases ----
 *
 * What TFLite's 16x8 conversion mode (EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_
 * WEIGHTS_INT8) produces. The convolutions accumulate in int64 and requantize with
 * tml_multiply_by_quantized_multiplier_64: per output channel a Q15 multiplier and a right
 * shift (tml_fixedpoint.h). The windowed kernels keep the raster-order contract above.
 * `bias` points at the int64 biases [out_c] (or is NULL) where the model array holds them,
 * which the converter aligns to 4 bytes only: the kernels read them with tml_bias64. */
typedef struct {
  const int16_t *input;
  const int8_t *filter; /* [out_c, k_h, k_w, in_c] */
  const int8_t *bias;   /* int64 [out_c] or NULL */
  int16_t *output;
  const int16_t *multiplier; /* Q15, per output channel */
  const int8_t *shift;       /* right shift, per output channel */
  tml_window_shape s;
  int32_t act_min, act_max;
} tml_conv_2d_int16_params;

typedef struct {
  const int16_t *input;
  const int8_t *filter; /* [1, k_h, k_w, out_c], out_c = in_c * depth_multiplier */
  const int8_t *bias;   /* int64 [out_c] or NULL */
  int16_t *output;
  const int16_t *multiplier;
  const int8_t *shift;
  tml_window_shape s;
  int32_t depth_multiplier, act_min, act_max;
} tml_depthwise_conv_2d_int16_params;

typedef struct {
  const int16_t *input;
  const int8_t *filter; /* [out_c, depth] */
  const int8_t *bias;   /* int64 [out_c] or NULL */
  int16_t *output;
  const int16_t *multiplier;
  const int8_t *shift;
  int32_t batches, depth, out_c, filter_offset, act_min, act_max;
} tml_fully_connected_int16_params;

static inline int64_t tml_bias64(const int8_t *bias, int32_t i) {
  int64_t b;
  memcpy(&b, bias + 8 * i, sizeof b);
  return b;
}

/* ADD, 16x8: the int8 ADD's arithmetic (tml_add_params) on int16 values, left_shift 15. */
typedef struct {
  const int16_t *input1, *input2;
  int16_t *output;
  tml_broadcast_shape b;
  int32_t left_shift;
  int32_t input1_multiplier, input1_shift, input2_multiplier, input2_shift;
  int32_t output_multiplier, output_shift, act_min, act_max;
} tml_add_int16_params;

/* SOFTMAX, 16x8: int16 input (zero point 0), int16 output of scale 1/32768. exp of each
 * input's difference to its row's maximum and 1 / (1 + x) of the sum come from two tables of
 * 513 values the host computes as TFLite does, read with linear interpolation. */
typedef struct {
  const int16_t *input;
  int16_t *output;
  int32_t rows, depth;
  int32_t input_multiplier, input_shift; /* differences to [-65535, 0] for exp on [-10, 0] */
  const int16_t *exp_table;              /* exp(x) on [-10, 0] */
  const int16_t *reciprocal_table;       /* 1 / (1 + x) on [0, 1] */
} tml_softmax_int16_params;

void tml_conv_2d_int16(const tml_conv_2d_int16_params *p);
void tml_depthwise_conv_2d_int16(const tml_depthwise_conv_2d_int16_params *p);
void tml_fully_connected_int16(const tml_fully_connected_int16_params *p);
void tml_add_int16(const tml_add_int16_params *p);
void tml_softmax_int16(const tml_softmax_int16_params *p);

/* Before a conv-like op whose multiplier and shift point into the arena: its
 * per-channel constants from the filter's float32 scales (their bits, in the
 * model array) and k = input scale / output scale in [2^63, 2^64), rounded. */
typedef struct {
  const uint32_t *scales;
  int32_t scale_step; /* 1: per-channel scales, 0: one scale for every channel */
  int32_t channels;
  uint32_t k_hi, k_lo;
  int32_t shift_base; /* the shift's part that does not depend on the filter scale */
  int32_t *multiplier;
  int8_t *shift;
} tml_multipliers_params;

void tml_compute_multipliers(const tml_multipliers_params *p);

#endif /* TML_KERNELS_H_ */
