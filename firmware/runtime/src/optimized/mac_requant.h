/* Building blocks of the optimized kernels in this directory, which firmware
 * for every core uses (the reference kernels stay the readable specification).
 *
 * With __ARM_FEATURE_SIMD32 (Cortex-M4, M7, M33) they use GCC's ACLE
 * intrinsics: SXTB16 sign-extends bytes 0 and 2 of a word (or, after a rotate
 * by 8, bytes 1 and 3) into two int16 lanes, SXTAB16 does the same and adds a
 * packed pair (the input offset) in the same instruction, SMLAD multiplies the
 * two lanes pairwise and adds both products to an int32 accumulator, and
 * SMLABB/SMLATB/SMLATT multiply one chosen lane of each operand. Without the
 * extension (M3, M0+, the host) the same sums are taken in plain C, so a build
 * for the wrong core is slower, never wrong. Integer sums are exact in any
 * order, so both give the reference kernels' accumulators bit for bit.
 */
#ifndef TML_MAC_REQUANT_H_
#define TML_MAC_REQUANT_H_

#include <stdint.h>
#include <string.h>

#include "tml_fixedpoint.h"

#if defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#endif

/* Per-pixel im2col buffers of the conv kernel (two), on the stack: a fixed bound keeps
 * the stack use known at build time; larger windows take the buffer-free path. */
#define TML_COL_MAX 160

/* Requantization constants of a conv-like op, copied out of its parameter
 * struct: kernels write int8 outputs, which may alias anything, so values read
 * through the struct would be reloaded after every store. */
typedef struct {
  const int32_t *bias; /* or NULL */
  const int32_t *multiplier;
  const int8_t *shift;
  int32_t output_offset, act_min, act_max;
  int32_t fast;   /* 1: tml_requantize_fast is exact for every channel */
  int32_t narrow; /* 1: the activation range is narrower than int8 (see tml_requantize) */
} tml_requant;

/* floor((a * b + c * 2^32 + 2^31) / 2^32), for c in {0, -1}: SMMLAR where the
 * DSP extension has it, else one SMLAL on the pre-set 64-bit (c, 2^31). */
static inline int32_t tml_smmlar(int32_t a, int32_t b, int32_t c) {
#if defined(__ARM_FEATURE_DSP)
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
#else
  return (int32_t)(((int64_t)a * b + (int64_t)(((uint64_t)(uint32_t)c << 32) | 0x80000000u)) >> 32);
#endif
}

/* The constants of a conv-like op; `fast` is the host's fast_requant flag
 * (tml_kernels.h): the code generator checked the shortcut below for every
 * channel from the weights, so the kernel does not. */
static inline tml_requant tml_requant_make(const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                           int32_t output_offset, int32_t act_min, int32_t act_max, int32_t fast) {
  const tml_requant q = {bias,    multiplier, shift, output_offset,
                         act_min, act_max,    fast,  act_min > INT8_MIN || act_max < INT8_MAX};
  return q;
}

/* tml_multiply_by_quantized_multiplier(t, m, shift) + output offset,
 * saturated to int8, when |t| < 2^30 and shift is in [-31, -1] (see
 * tml_requant_make). With x = SaturatingRoundingDoublingHighMul(t, m) =
 * floor((t * m + 2^30) / 2^31) (no saturation: m > 0) and s = -1 for negative
 * t, else 0 (x has t's sign or is 0, where s makes no difference),
 * RoundingDivideByPOT(x, e) for e >= 1 is floor((x + s + 2^(e-1)) / 2^e) =
 * ((x + s) >> (e - 1) + 1) >> 1, and SMMLAR(2t, m, s) = x + s exactly because
 * 2t fits in 32 bits. The final halving takes the rounding 1 and twice the
 * offset in one add, and shares one SSAT with the saturation. */
static inline int32_t tml_requantize_fast(int32_t t, int32_t m, int32_t e_minus_1, int32_t offset2_plus_1) {
  const int32_t y = (tml_smmlar((int32_t)((uint32_t)t << 1), m, t >> 31) >> e_minus_1) + offset2_plus_1;
#if defined(__ARM_FEATURE_SAT)
  int32_t r; /* SSAT with its shift operand: GCC does not always fold the clamp into one */
  __asm__("ssat %0, #8, %1, asr #1" : "=r"(r) : "r"(y));
  return r;
#else
  return tml_clamp(y >> 1, INT8_MIN, INT8_MAX);
#endif
}

/* The activation range on n outputs already saturated to int8: kernels call
 * it once per pixel (or row) when q->narrow, instead of once per output. */
static inline void tml_clamp_s8(int8_t *out, int32_t n, int32_t lo, int32_t hi) {
  int32_t i = 0;
#if defined(__ARM_FEATURE_SIMD32)
  const uint32_t lo4 = ((uint32_t)lo & 0xFFu) * 0x01010101u, hi4 = ((uint32_t)hi & 0xFFu) * 0x01010101u;
  for (; i + 4 <= n; i += 4) {
    uint32_t v;
    memcpy(&v, out + i, 4);
    (void)__ssub8((int8x4_t)v, (int8x4_t)lo4); /* GE set in the lanes where v >= lo */
    v = __sel(v, lo4);
    (void)__ssub8((int8x4_t)v, (int8x4_t)hi4);
    v = __sel(hi4, v);
    memcpy(out + i, &v, 4);
  }
#endif
  for (; i < n; ++i) out[i] = (int8_t)tml_clamp(out[i], lo, hi);
}

/* The general requantization of tml_requantize, out of line (unused in add.c): taken only by
 * ops the host did not clear for the fast path, it would otherwise add its
 * code to every inlined call site (flash) for nothing on the fast path. */
static __attribute__((noinline, unused)) int8_t tml_requantize_general(const tml_requant *q, int32_t acc, int32_t oc) {
  const int32_t shift = q->shift[oc];
  const int32_t left = shift > 0 ? shift : 0;
  const int64_t product = (int64_t)(int32_t)((uint32_t)acc << left) * q->multiplier[oc];
  acc = tml_rounding_divide_by_pot((int32_t)((product + (1 << 30)) >> 31), left - shift) + q->output_offset;
  return (int8_t)tml_clamp(acc, q->act_min, q->act_max);
}

/* Output channel `oc`'s accumulator (bias not yet added) to int8: as
 * tml_multiply_by_quantized_multiplier, less its INT32_MIN * INT32_MIN case,
 * which cannot occur: the host's multipliers lie in [2^30, 2^31) or are 0.
 * The fast path leaves the activation range to tml_clamp_s8 (when q->narrow). */
static inline int8_t tml_requantize(const tml_requant *q, int32_t acc, int32_t oc) {
  if (q->bias) acc += q->bias[oc];
  if (q->fast)
    return (int8_t)tml_requantize_fast(acc, q->multiplier[oc], ~(int32_t)q->shift[oc], 2 * q->output_offset + 1);
  return tml_requantize_general(q, acc, oc);
}

/* Two accumulators of the same output channel (two pixels), stored to *out_a
 * and *out_b; the channel's constants are loaded once. */
static inline __attribute__((always_inline)) void tml_requantize2(const tml_requant *q, int32_t acc_a, int32_t acc_b,
                                                                  int32_t oc, int8_t *out_a, int8_t *out_b) {
  if (q->fast) {
    const int32_t bias = q->bias ? q->bias[oc] : 0, m = q->multiplier[oc], e1 = ~(int32_t)q->shift[oc];
    const int32_t off = 2 * q->output_offset + 1;
    const int8_t a = (int8_t)tml_requantize_fast(acc_a + bias, m, e1, off);
    const int8_t b = (int8_t)tml_requantize_fast(acc_b + bias, m, e1, off);
    *out_a = a;
    *out_b = b;
    return;
  }
  const int8_t a = tml_requantize(q, acc_a, oc), b = tml_requantize(q, acc_b, oc);
  *out_a = a;
  *out_b = b;
}

/* Four consecutive output channels c .. c + 3 to out[0 .. 3]; the fast-path
 * test and the pointers to the channels' constants are taken once for all four. */
static inline __attribute__((always_inline)) void tml_requantize4(const tml_requant *q, int32_t a0, int32_t a1,
                                                                  int32_t a2, int32_t a3, int32_t c, int8_t *out) {
  if (q->fast) {
    const int32_t *m = q->multiplier + c;
    const int8_t *sh = q->shift + c;
    const int32_t off = 2 * q->output_offset + 1;
    if (q->bias) {
      const int32_t *b = q->bias + c;
      a0 += b[0];
      a1 += b[1];
      a2 += b[2];
      a3 += b[3];
    }
    out[0] = (int8_t)tml_requantize_fast(a0, m[0], ~(int32_t)sh[0], off);
    out[1] = (int8_t)tml_requantize_fast(a1, m[1], ~(int32_t)sh[1], off);
    out[2] = (int8_t)tml_requantize_fast(a2, m[2], ~(int32_t)sh[2], off);
    out[3] = (int8_t)tml_requantize_fast(a3, m[3], ~(int32_t)sh[3], off);
    return;
  }
  out[0] = tml_requantize(q, a0, c);
  out[1] = tml_requantize(q, a1, c + 1);
  out[2] = tml_requantize(q, a2, c + 2);
  out[3] = tml_requantize(q, a3, c + 3);
}

/* The taps k in [0, k) with 0 <= start + k * dilation < size, as [*lo, *hi). */
static inline void tml_valid_taps(int32_t start, int32_t dilation, int32_t k, int32_t size, int32_t *lo, int32_t *hi) {
  int32_t a = 0, b = k;
  while (a < k && start + a * dilation < 0) ++a;
  while (b > a && start + (b - 1) * dilation >= size) --b;
  *lo = a;
  *hi = b;
}

/* With SIMD32 an im2col column stores each full group of 4 values as e0, e2,
 * e1, e3: one 32-bit word then holds exactly the lanes SXTB16 extracts from 4
 * weights (bytes 0 and 2), the next word the rotated ones (bytes 1 and 3). A
 * tail of n % 4 values stays in order, and so does all of a plain-C column.
 * This reorders n values written in order the same way (the conv kernel uses
 * it on a table of column slots). */
static inline void tml_col_interleave_u8(uint8_t *v, int32_t n) {
#if defined(__ARM_FEATURE_SIMD32)
  for (int32_t g = 0; g + 4 <= n; g += 4) {
    const uint8_t e1 = v[g + 1];
    v[g + 1] = v[g + 2];
    v[g + 2] = e1;
  }
#else
  (void)v;
  (void)n;
#endif
}

#if defined(__ARM_FEATURE_SIMD32)

static inline uint32_t tml_load4(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4); /* one LDR: the cores with SIMD32 allow unaligned word loads */
  return v;
}

/* SXTB16 / SXTAB16 of x rotated right by 8 (bytes 1 and 3): the instructions
 * take the rotation as an operand, which GCC does not fold from a C rotate. */
static inline int16x2_t tml_sxtb16_ror8(uint32_t x) {
  int16x2_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

static inline int16x2_t tml_sxtab16_ror8(int16x2_t a, uint32_t x) {
  int16x2_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}

/* The int16 offset in both lanes. */
static inline int16x2_t tml_pack_offset(int32_t offset) {
  return (int16x2_t)(((uint32_t)offset & 0xFFFFu) * 0x00010001u);
}

/* *acc0 += sum (in[i] + offset) * w0[i], *acc1 likewise with w1; n int8 inputs.
 * in + offset fits int16 because offset is minus an int8 zero point. */
static inline void tml_dot2_s8(const int8_t *in, const int8_t *w0, const int8_t *w1, int32_t n, int32_t offset,
                               int32_t *acc0, int32_t *acc1) {
  const int16x2_t off = tml_pack_offset(offset);
  int32_t a0 = *acc0, a1 = *acc1;
  for (; n >= 4; n -= 4, in += 4, w0 += 4, w1 += 4) {
    const uint32_t x = tml_load4(in), k0 = tml_load4(w0), k1 = tml_load4(w1);
    const int16x2_t xe = __sxtab16(off, (int8x4_t)x), xo = tml_sxtab16_ror8(off, x);
    a0 = __smlad(xe, __sxtb16((int8x4_t)k0), a0);
    a0 = __smlad(xo, tml_sxtb16_ror8(k0), a0);
    a1 = __smlad(xe, __sxtb16((int8x4_t)k1), a1);
    a1 = __smlad(xo, tml_sxtb16_ror8(k1), a1);
  }
  for (; n > 0; --n) {
    const int32_t x = *in++ + offset;
    a0 += x * *w0++;
    a1 += x * *w1++;
  }
  *acc0 = a0;
  *acc1 = a1;
}

/* One group of 4 values in asm text for tml_dot2x2_s8. With the pointers,
 * accumulators and offset in registers, four are left: each weight word's
 * lanes are split into one scratch register as each product needs them (the
 * split is one instruction either way), so nothing is spilled in the loop. */
#define TML_DOT2X2_S8_GROUP_ASM            \
  "ldr %[k0], [%[w0]], #4\n\t"             \
  "ldr %[k1], [%[w1]], #4\n\t"             \
  "ldr %[x], [%[ina]], #4\n\t"             \
  "sxtab16 %[t], %[off], %[x]\n\t"         \
  "sxtab16 %[x], %[off], %[x], ror #8\n\t" \
  "sxtb16 %[s], %[k0]\n\t"                 \
  "smlad %[a0], %[t], %[s], %[a0]\n\t"     \
  "sxtb16 %[s], %[k1]\n\t"                 \
  "smlad %[a1], %[t], %[s], %[a1]\n\t"     \
  "sxtb16 %[s], %[k0], ror #8\n\t"         \
  "smlad %[a0], %[x], %[s], %[a0]\n\t"     \
  "sxtb16 %[s], %[k1], ror #8\n\t"         \
  "smlad %[a1], %[x], %[s], %[a1]\n\t"     \
  "ldr %[x], [%[inb]], #4\n\t"             \
  "sxtab16 %[t], %[off], %[x]\n\t"         \
  "sxtab16 %[x], %[off], %[x], ror #8\n\t" \
  "sxtb16 %[s], %[k0]\n\t"                 \
  "smlad %[b0], %[t], %[s], %[b0]\n\t"     \
  "sxtb16 %[s], %[k1]\n\t"                 \
  "smlad %[b1], %[t], %[s], %[b1]\n\t"     \
  "sxtb16 %[s], %[k0], ror #8\n\t"         \
  "smlad %[b0], %[x], %[s], %[b0]\n\t"     \
  "sxtb16 %[s], %[k1], ror #8\n\t"         \
  "smlad %[b1], %[x], %[s], %[b1]\n\t"

#define TML_DOT2X2_S8_OPERANDS                                                                              \
  : [a0] "+r"(sa0), [a1] "+r"(sa1), [b0] "+r"(sb0), [b1] "+r"(sb1), [ina] "+r"(ina), [inb] "+r"(inb),      \
    [w0] "+r"(w0), [w1] "+r"(w1), [x] "=&r"(x), [t] "=&r"(t), [k0] "=&r"(k0), [k1] "=&r"(k1), [s] "=&r"(sc) \
  : [off] "r"(off), [end] "m"(end)                                                                         \
  : "cc", "memory"

/* Two pixels' inputs (ina, inb) times two filter rows, straight from int8
 * input (no column): *a0 += (ina + offset) . w0, *a1 += (ina + offset) . w1,
 * *b0, *b1 likewise with inb: 16 multiply-accumulates per 24 instructions and
 * the loop's 3 per 8 values. */
static inline void tml_dot2x2_s8(const int8_t *ina, const int8_t *inb, const int8_t *w0, const int8_t *w1, int32_t n,
                                 int32_t offset, int32_t *a0, int32_t *a1, int32_t *b0, int32_t *b1) {
  const int16x2_t off = tml_pack_offset(offset);
  int32_t sa0 = *a0, sa1 = *a1, sb0 = *b0, sb1 = *b1;
  uint32_t x, t, k0, k1, sc;
  if (n & 4) {
    const int8_t *end = ina; /* unused: one group, no loop */
    __asm__(TML_DOT2X2_S8_GROUP_ASM TML_DOT2X2_S8_OPERANDS);
  }
  if (n >= 8) {
    const int8_t *end = ina + (n & ~7);
    __asm__("1:\n\t" TML_DOT2X2_S8_GROUP_ASM TML_DOT2X2_S8_GROUP_ASM
            "ldr %[s], %[end]\n\t"
            "cmp %[ina], %[s]\n\t"
            "bne 1b\n\t" TML_DOT2X2_S8_OPERANDS);
  }
  for (n &= 3; n > 0; --n) {
    const int32_t k0 = *w0++, k1 = *w1++, xa = *ina++ + offset, xb = *inb++ + offset;
    sa0 += xa * k0;
    sa1 += xa * k1;
    sb0 += xb * k0;
    sb1 += xb * k1;
  }
  *a0 = sa0;
  *a1 = sa1;
  *b0 = sb0;
  *b1 = sb1;
}

static inline int32_t tml_dot1_s8(const int8_t *in, const int8_t *w, int32_t n, int32_t offset, int32_t acc) {
  const int16x2_t off = tml_pack_offset(offset);
  for (; n >= 4; n -= 4, in += 4, w += 4) {
    const uint32_t x = tml_load4(in), k = tml_load4(w);
    acc = __smlad(__sxtab16(off, (int8x4_t)x), __sxtb16((int8x4_t)k), acc);
    acc = __smlad(tml_sxtab16_ror8(off, x), tml_sxtb16_ror8(k), acc);
  }
  for (; n > 0; --n) acc += (*in++ + offset) * *w++;
  return acc;
}

/* Writes n int8 inputs plus offset to col in the interleaved layout; n % 4 == 0. */
static inline void tml_col_fill4(int16_t *col, const int8_t *in, int32_t n, int32_t offset) {
  const int16x2_t off = tml_pack_offset(offset);
  for (; n > 0; n -= 4, in += 4, col += 4) {
    const uint32_t x = tml_load4(in);
    const int16x2_t xe = __sxtab16(off, (int8x4_t)x), xo = tml_sxtab16_ror8(off, x);
    memcpy(col, &xe, 4);
    memcpy(col + 2, &xo, 4);
  }
}

/* *acc0 += col . w0, *acc1 += col . w1 over n values of an interleaved column. */
static inline void tml_dot2_col(const int16_t *col, const int8_t *w0, const int8_t *w1, int32_t n, int32_t *acc0,
                                int32_t *acc1) {
  int32_t a0 = *acc0, a1 = *acc1;
  for (; n >= 4; n -= 4, col += 4, w0 += 4, w1 += 4) {
    const int16x2_t xe = (int16x2_t)tml_load4(col), xo = (int16x2_t)tml_load4(col + 2);
    const uint32_t k0 = tml_load4(w0), k1 = tml_load4(w1);
    a0 = __smlad(xe, __sxtb16((int8x4_t)k0), a0);
    a0 = __smlad(xo, tml_sxtb16_ror8(k0), a0);
    a1 = __smlad(xe, __sxtb16((int8x4_t)k1), a1);
    a1 = __smlad(xo, tml_sxtb16_ror8(k1), a1);
  }
  for (; n > 0; --n) {
    a0 += *col * *w0++;
    a1 += *col++ * *w1++;
  }
  *acc0 = a0;
  *acc1 = a1;
}

static inline int32_t tml_dot1_col(const int16_t *col, const int8_t *w, int32_t n, int32_t acc) {
  for (; n >= 4; n -= 4, col += 4, w += 4) {
    const uint32_t k = tml_load4(w);
    acc = __smlad((int16x2_t)tml_load4(col), __sxtb16((int8x4_t)k), acc);
    acc = __smlad((int16x2_t)tml_load4(col + 2), tml_sxtb16_ror8(k), acc);
  }
  for (; n > 0; --n) acc += *col++ * *w++;
  return acc;
}

/* Two columns (pixels a and b) times two filter rows: *a0 += ca . w0,
 * *a1 += ca . w1, *b0 += cb . w0, *b1 += cb . w1. Each weight word is
 * loaded and split once for both pixels. */
static inline void tml_dot2x2_col(const int16_t *ca, const int16_t *cb, const int8_t *w0, const int8_t *w1, int32_t n,
                                  int32_t *a0, int32_t *a1, int32_t *b0, int32_t *b1) {
  int32_t sa0 = *a0, sa1 = *a1, sb0 = *b0, sb1 = *b1;
  for (; n >= 4; n -= 4, ca += 4, cb += 4, w0 += 4, w1 += 4) {
    const int16x2_t xae = (int16x2_t)tml_load4(ca), xao = (int16x2_t)tml_load4(ca + 2);
    const int16x2_t xbe = (int16x2_t)tml_load4(cb), xbo = (int16x2_t)tml_load4(cb + 2);
    uint32_t k = tml_load4(w0);
    int16x2_t ke = __sxtb16((int8x4_t)k), ko = tml_sxtb16_ror8(k);
    sa0 = __smlad(xae, ke, sa0);
    sa0 = __smlad(xao, ko, sa0);
    sb0 = __smlad(xbe, ke, sb0);
    sb0 = __smlad(xbo, ko, sb0);
    k = tml_load4(w1);
    ke = __sxtb16((int8x4_t)k);
    ko = tml_sxtb16_ror8(k);
    sa1 = __smlad(xae, ke, sa1);
    sa1 = __smlad(xao, ko, sa1);
    sb1 = __smlad(xbe, ke, sb1);
    sb1 = __smlad(xbo, ko, sb1);
  }
  for (; n > 0; --n) {
    const int32_t k0 = *w0++, k1 = *w1++, xa = *ca++, xb = *cb++;
    sa0 += xa * k0;
    sa1 += xa * k1;
    sb0 += xb * k0;
    sb1 += xb * k1;
  }
  *a0 = sa0;
  *a1 = sa1;
  *b0 = sb0;
  *b1 = sb1;
}

#if TML_COL_MAX != 160
#error "tml_dot4x2_col's asm offsets are multiples of TML_COL_MAX int16 values (320 bytes)"
#endif

/* One group of 4 column values in asm text for tml_dot4x2_col: OFF is the
 * group's byte offset in the columns. Each filter word is loaded twice (even
 * lanes, then odd ones) instead of being kept: fourteen registers hold the
 * eight accumulators, the column value, two filter words and the pointers. */
#define TML_DOT4X2_GROUP_ASM(OFF)       \
  "ldr %[k1], [%[w], %[n]]\n\t"         \
  "ldr %[k0], [%[w]]\n\t"               \
  "sxtb16 %[k0], %[k0]\n\t"             \
  "sxtb16 %[k1], %[k1]\n\t"             \
  "ldr %[x], [%[col], #" #OFF           \
  "]\n\t"                               \
  "smlad %[a0], %[x], %[k0], %[a0]\n\t" \
  "smlad %[a1], %[x], %[k1], %[a1]\n\t" \
  "ldr %[x], [%[col], #(320 + " #OFF    \
  ")]\n\t"                              \
  "smlad %[b0], %[x], %[k0], %[b0]\n\t" \
  "smlad %[b1], %[x], %[k1], %[b1]\n\t" \
  "ldr %[x], [%[col], #(640 + " #OFF    \
  ")]\n\t"                              \
  "smlad %[c0], %[x], %[k0], %[c0]\n\t" \
  "smlad %[c1], %[x], %[k1], %[c1]\n\t" \
  "ldr %[x], [%[col], #(960 + " #OFF    \
  ")]\n\t"                              \
  "smlad %[d0], %[x], %[k0], %[d0]\n\t" \
  "smlad %[d1], %[x], %[k1], %[d1]\n\t" \
  "ldr %[k1], [%[w], %[n]]\n\t"         \
  "ldr %[k0], [%[w]], #4\n\t"           \
  "sxtb16 %[k0], %[k0], ror #8\n\t"     \
  "sxtb16 %[k1], %[k1], ror #8\n\t"     \
  "ldr %[x], [%[col], #(4 + " #OFF      \
  ")]\n\t"                              \
  "smlad %[a0], %[x], %[k0], %[a0]\n\t" \
  "smlad %[a1], %[x], %[k1], %[a1]\n\t" \
  "ldr %[x], [%[col], #(324 + " #OFF    \
  ")]\n\t"                              \
  "smlad %[b0], %[x], %[k0], %[b0]\n\t" \
  "smlad %[b1], %[x], %[k1], %[b1]\n\t" \
  "ldr %[x], [%[col], #(644 + " #OFF    \
  ")]\n\t"                              \
  "smlad %[c0], %[x], %[k0], %[c0]\n\t" \
  "smlad %[c1], %[x], %[k1], %[c1]\n\t" \
  "ldr %[x], [%[col], #(964 + " #OFF    \
  ")]\n\t"                              \
  "smlad %[d0], %[x], %[k0], %[d0]\n\t" \
  "smlad %[d1], %[x], %[k1], %[d1]\n\t"

#define TML_DOT4X2_TWO_GROUPS_ASM TML_DOT4X2_GROUP_ASM(0) TML_DOT4X2_GROUP_ASM(8)

#define TML_DOT4X2_OPERANDS                                                                                      \
  : [a0] "+r"(a[0]), [a1] "+r"(a[1]), [b0] "+r"(a[2]), [b1] "+r"(a[3]), [c0] "+r"(a[4]), [c1] "+r"(a[5]), \
    [d0] "+r"(a[6]), [d1] "+r"(a[7]), [x] "=&r"(x), [k0] "=&r"(k0), [k1] "=&r"(k1), [col] "+r"(col), [w] "+r"(w) \
  : [n] "r"(n), [end] "m"(end)                                                                              \
  : "cc", "memory"

/* Four interleaved columns (TML_COL_MAX values apart) times two filter rows (w
 * and w + n): acc[2p + r] = column p . row r over the first `len` values,
 * len % 4 == 0 and len > 0. Per group of 4 values 32 multiply-accumulates take
 * 32 instructions (tml_dot2x2_col: 16 per 18 and its loop). */
static inline void tml_dot4x2_col(const int16_t *col, const int8_t *w, int32_t n, int32_t len, int32_t acc[8]) {
  int32_t a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  uint32_t x, k0, k1;
  if (len & 4) {
    const int16_t *end = col; /* unused: one group, no loop */
    __asm__(TML_DOT4X2_GROUP_ASM(0) "add %[col], %[col], #8\n\t" TML_DOT4X2_OPERANDS);
  }
  if (len >= 8) {
    const int16_t *end = col + (len & ~7);
    __asm__("1:\n\t" TML_DOT4X2_TWO_GROUPS_ASM
            "add %[col], %[col], #16\n\t"
            "ldr %[x], %[end]\n\t"
            "cmp %[col], %[x]\n\t"
            "bne 1b\n\t" TML_DOT4X2_OPERANDS);
  }
  memcpy(acc, a, sizeof a);
}

/* Four channels side by side: *aj += (x[j] + offset) * w[j], j < 4. */
static inline void tml_mac4_s8(const int8_t *x, const int8_t *w, int16x2_t off, int32_t *a0, int32_t *a1, int32_t *a2,
                               int32_t *a3) {
  const uint32_t xv = tml_load4(x), wv = tml_load4(w);
  const int16x2_t xe = __sxtab16(off, (int8x4_t)xv), xo = tml_sxtab16_ror8(off, xv);
  const int16x2_t we = __sxtb16((int8x4_t)wv), wo = tml_sxtb16_ror8(wv);
  *a0 = __smlabb(xe, we, *a0);
  *a2 = __smlatt(xe, we, *a2);
  *a1 = __smlabb(xo, wo, *a1);
  *a3 = __smlatt(xo, wo, *a3);
}

/* One tap of four channels in asm text, the input and filter words at
 * [in ADDR] and [w ADDR]: acc[j] += (in[j] + offset) * w[j]. */
#define TML_MAC4_TAP_ASM(ADDR)              \
  "ldr %[x], [%[in]" ADDR                   \
  "]\n\t"                                   \
  "ldr %[k], [%[w]" ADDR                    \
  "]\n\t"                                   \
  "sxtab16 %[xs], %[off], %[x]\n\t"         \
  "sxtb16 %[ks], %[k]\n\t"                  \
  "smlabb %[a0], %[xs], %[ks], %[a0]\n\t"   \
  "smlatt %[a2], %[xs], %[ks], %[a2]\n\t"   \
  "sxtab16 %[xs], %[off], %[x], ror #8\n\t" \
  "sxtb16 %[ks], %[k], ror #8\n\t"          \
  "smlabb %[a1], %[xs], %[ks], %[a1]\n\t"   \
  "smlatt %[a3], %[xs], %[ks], %[a3]\n\t"

#define TML_MAC4_TAP_OPERANDS                                                                               \
  : [a0] "+r"(acc[0]), [a1] "+r"(acc[1]), [a2] "+r"(acc[2]), [a3] "+r"(acc[3]), [x] "=&r"(x), [k] "=&r"(k),          \
    [xs] "=&r"(xs), [ks] "=&r"(ks)                                                                                   \
  : [in] "r"(in), [w] "r"(w), [step] "r"(step), [off] "r"(off)                                                       \
  : "memory"

/* Two or three taps of four channels, tap k at in + k * step and w + k * step:
 * acc[j] += (in[k * step + j] + offset) * w[k * step + j]. Asm blocks, so GCC
 * cannot hoist the loads of later taps, which in an unrolled window costs it
 * more stack spills than the scheduling saves. */
static inline void tml_mac4x3_s8(const int8_t *in, const int8_t *w, int32_t step, int16x2_t off, int32_t acc[4]) {
  uint32_t x, k, xs, ks;
  __asm__(TML_MAC4_TAP_ASM("") TML_MAC4_TAP_ASM(", %[step]") TML_MAC4_TAP_ASM(", %[step], lsl #1")
              TML_MAC4_TAP_OPERANDS);
}

static inline void tml_mac4x2_s8(const int8_t *in, const int8_t *w, int32_t step, int16x2_t off, int32_t acc[4]) {
  uint32_t x, k, xs, ks;
  __asm__(TML_MAC4_TAP_ASM("") TML_MAC4_TAP_ASM(", %[step]") TML_MAC4_TAP_OPERANDS);
}

/* One input value (offset added; int16) times 4 weights: *aj += v * w[j]. */
static inline void tml_mac4_1(int32_t v, const int8_t *w, int32_t *a0, int32_t *a1, int32_t *a2, int32_t *a3) {
  const uint32_t wv = tml_load4(w);
  const int16x2_t we = __sxtb16((int8x4_t)wv), wo = tml_sxtb16_ror8(wv);
  *a0 = __smlabb(we, v, *a0);
  *a2 = __smlatb(we, v, *a2);
  *a1 = __smlabb(wo, v, *a1);
  *a3 = __smlatb(wo, v, *a3);
}

#else /* plain C: the same sums, for cores without the DSP extension and the host */

typedef int32_t int16x2_t;

static inline int16x2_t tml_pack_offset(int32_t offset) { return offset; }

static inline void tml_dot2_s8(const int8_t *in, const int8_t *w0, const int8_t *w1, int32_t n, int32_t offset,
                               int32_t *acc0, int32_t *acc1) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t x = in[i] + offset;
    *acc0 += x * w0[i];
    *acc1 += x * w1[i];
  }
}

static inline int32_t tml_dot1_s8(const int8_t *in, const int8_t *w, int32_t n, int32_t offset, int32_t acc) {
  for (int32_t i = 0; i < n; ++i) acc += (in[i] + offset) * w[i];
  return acc;
}

static inline void tml_col_fill4(int16_t *col, const int8_t *in, int32_t n, int32_t offset) {
  for (int32_t i = 0; i < n; ++i) col[i] = (int16_t)(in[i] + offset);
}

static inline void tml_dot2x2_s8(const int8_t *ina, const int8_t *inb, const int8_t *w0, const int8_t *w1, int32_t n,
                                 int32_t offset, int32_t *a0, int32_t *a1, int32_t *b0, int32_t *b1) {
  int32_t sa0 = *a0, sa1 = *a1, sb0 = *b0, sb1 = *b1;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t k0 = w0[i], k1 = w1[i], xa = ina[i] + offset, xb = inb[i] + offset;
    sa0 += xa * k0;
    sa1 += xa * k1;
    sb0 += xb * k0;
    sb1 += xb * k1;
  }
  *a0 = sa0;
  *a1 = sa1;
  *b0 = sb0;
  *b1 = sb1;
}

static inline void tml_dot2_col(const int16_t *col, const int8_t *w0, const int8_t *w1, int32_t n, int32_t *acc0,
                                int32_t *acc1) {
  int32_t a0 = *acc0, a1 = *acc1;
  for (int32_t i = 0; i < n; ++i) {
    a0 += col[i] * w0[i];
    a1 += col[i] * w1[i];
  }
  *acc0 = a0;
  *acc1 = a1;
}

static inline int32_t tml_dot1_col(const int16_t *col, const int8_t *w, int32_t n, int32_t acc) {
  for (int32_t i = 0; i < n; ++i) acc += col[i] * w[i];
  return acc;
}

static inline void tml_dot2x2_col(const int16_t *ca, const int16_t *cb, const int8_t *w0, const int8_t *w1, int32_t n,
                                  int32_t *a0, int32_t *a1, int32_t *b0, int32_t *b1) {
  int32_t sa0 = *a0, sa1 = *a1, sb0 = *b0, sb1 = *b1;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t k0 = w0[i], k1 = w1[i];
    sa0 += ca[i] * k0;
    sa1 += ca[i] * k1;
    sb0 += cb[i] * k0;
    sb1 += cb[i] * k1;
  }
  *a0 = sa0;
  *a1 = sa1;
  *b0 = sb0;
  *b1 = sb1;
}

static inline void tml_mac4_s8(const int8_t *x, const int8_t *w, int16x2_t off, int32_t *a0, int32_t *a1, int32_t *a2,
                               int32_t *a3) {
  *a0 += (x[0] + off) * w[0];
  *a1 += (x[1] + off) * w[1];
  *a2 += (x[2] + off) * w[2];
  *a3 += (x[3] + off) * w[3];
}

static inline void tml_mac4xn_s8(const int8_t *in, const int8_t *w, int32_t step, int16x2_t off, int32_t acc[4],
                                 int32_t taps) {
  for (int32_t k = 0; k < taps; ++k, in += step, w += step) {
    for (int32_t j = 0; j < 4; ++j) acc[j] += (in[j] + off) * w[j];
  }
}

static inline void tml_mac4x3_s8(const int8_t *in, const int8_t *w, int32_t step, int16x2_t off, int32_t acc[4]) {
  tml_mac4xn_s8(in, w, step, off, acc, 3);
}

static inline void tml_mac4x2_s8(const int8_t *in, const int8_t *w, int32_t step, int16x2_t off, int32_t acc[4]) {
  tml_mac4xn_s8(in, w, step, off, acc, 2);
}

static inline void tml_mac4_1(int32_t v, const int8_t *w, int32_t *a0, int32_t *a1, int32_t *a2, int32_t *a3) {
  *a0 += v * w[0];
  *a1 += v * w[1];
  *a2 += v * w[2];
  *a3 += v * w[3];
}

#endif /* __ARM_FEATURE_SIMD32 */

#endif /* TML_MAC_REQUANT_H_ */
