/* KissFFT's forward real FFT in 16-bit fixed point, reproduced operation for
 * operation: the op's features depend on its every rounding. Each butterfly
 * divides its inputs by its radix (multiplying by 32767/radix and rounding),
 * products round to nearest in Q15 and sums wrap to int16, as KissFFT's
 * macros do. KissFFT recurses; here the stages run iteratively over blocks,
 * which performs the same operations on the same values in another order of
 * independent blocks. The twiddles and the input order come from the
 * generated tables.
 */
#include <string.h>

#include "tml_frontend.h"

#define ROUND_Q15(x) ((int16_t)(((x) + (1 << 14)) >> 15))
/* x * (32767 / radix), rounded: KissFFT's C_FIXDIV. */
#define DIV4(x) ROUND_Q15((int32_t)(x) * (32767 / 4))
#define DIV2(x) ROUND_Q15((int32_t)(x) * (32767 / 2))

typedef struct {
  int16_t r, i;
} cpx;

static inline cpx cmul(cpx a, const int16_t *tw) {
  cpx out;
  out.r = ROUND_Q15((int32_t)a.r * tw[0] - (int32_t)a.i * tw[1]);
  out.i = ROUND_Q15((int32_t)a.r * tw[1] + (int32_t)a.i * tw[0]);
  return out;
}

static inline cpx load(const int16_t *p) {
  cpx c;
  c.r = p[0];
  c.i = p[1];
  return c;
}

static inline void store(int16_t *p, int32_t r, int32_t i) {
  p[0] = (int16_t)r;
  p[1] = (int16_t)i;
}

#if !defined(__ARM_FEATURE_SIMD32)
static void radix4(int16_t *data, uint32_t blocks, uint32_t m, uint32_t stride) {
  for (uint32_t b = 0; b < blocks; b++) {
    int16_t *f = data + 2 * (b * 4 * m);
    for (uint32_t k = 0; k < m; k++, f += 2) {
      int16_t *f0 = f, *f1 = f + 2 * m, *f2 = f + 4 * m, *f3 = f + 6 * m;
      cpx a0 = {DIV4(f0[0]), DIV4(f0[1])};
      cpx a1 = {DIV4(f1[0]), DIV4(f1[1])};
      cpx a2 = {DIV4(f2[0]), DIV4(f2[1])};
      cpx a3 = {DIV4(f3[0]), DIV4(f3[1])};
      cpx s0 = cmul(a1, tml_fe_twiddles + 2 * (k * stride));
      cpx s1 = cmul(a2, tml_fe_twiddles + 2 * (2 * k * stride));
      cpx s2 = cmul(a3, tml_fe_twiddles + 2 * (3 * k * stride));
      cpx s5 = {(int16_t)(a0.r - s1.r), (int16_t)(a0.i - s1.i)};
      cpx s3 = {(int16_t)(s0.r + s2.r), (int16_t)(s0.i + s2.i)};
      cpx s4 = {(int16_t)(s0.r - s2.r), (int16_t)(s0.i - s2.i)};
      a0.r = (int16_t)(a0.r + s1.r);
      a0.i = (int16_t)(a0.i + s1.i);
      store(f2, a0.r - s3.r, a0.i - s3.i);
      store(f0, a0.r + s3.r, a0.i + s3.i);
      store(f1, s5.r + s4.i, s5.i - s4.r);
      store(f3, s5.r - s4.i, s5.i + s4.r);
    }
  }
}

static void radix2(int16_t *data, uint32_t blocks, uint32_t m, uint32_t stride) {
  for (uint32_t b = 0; b < blocks; b++) {
    int16_t *f = data + 2 * (b * 2 * m);
    for (uint32_t k = 0; k < m; k++, f += 2) {
      int16_t *f0 = f, *f1 = f + 2 * m;
      cpx a0 = {DIV2(f0[0]), DIV2(f0[1])};
      cpx a1 = {DIV2(f1[0]), DIV2(f1[1])};
      cpx t = cmul(a1, tml_fe_twiddles + 2 * (k * stride));
      store(f1, a0.r - t.r, a0.i - t.i);
      store(f0, a0.r + t.r, a0.i + t.i);
    }
  }
}

/* Bins 1..N/2 and N/2..N-1 of the real FFT from the complex FFT of
 * (even, odd) sample pairs; bins k and N-k are read before either is
 * written, so in place. */
static void split(int16_t *data, uint32_t n) {
  for (uint32_t k = 1; k <= n / 2; k++) {
    cpx fpk = load(data + 2 * k);
    cpx fpnk = load(data + 2 * (n - k));
    fpnk.i = (int16_t)-fpnk.i;
    fpk.r = DIV2(fpk.r);
    fpk.i = DIV2(fpk.i);
    fpnk.r = DIV2(fpnk.r);
    fpnk.i = DIV2(fpnk.i);
    cpx f1 = {(int16_t)(fpk.r + fpnk.r), (int16_t)(fpk.i + fpnk.i)};
    cpx f2 = {(int16_t)(fpk.r - fpnk.r), (int16_t)(fpk.i - fpnk.i)};
    cpx tw = cmul(f2, tml_fe_super_twiddles + 2 * (k - 1));
    store(data + 2 * k, (f1.r + tw.r) >> 1, (f1.i + tw.i) >> 1);
    store(data + 2 * (n - k), (f1.r - tw.r) >> 1, (tw.i - f1.i) >> 1);
  }
}
#define RADIX4 radix4
#define RADIX2 radix2
#define SPLIT split

#else
/* With the DSP extension a complex value is one word (re in the low half, im
 * in the high half) and KissFFT's operations map onto single instructions
 * with its exact semantics: SADD16/SSUB16 add and subtract both halves with
 * int16 wrap-around, SSAX/SASX do the radix-4 rotation by -i, SMLSD/SMLADX
 * take the complex product's two sums of products plus the rounding constant
 * and SMLABB/SMLATB the division's product per half. Bit for bit the scalar
 * code above, which the host and cores without the extension (Cortex-M3) run. */
#include <arm_acle.h>

static inline uint32_t ld(const int16_t *p) {
  uint32_t w;
  memcpy(&w, p, 4);
  return w;
}

static inline void st(int16_t *p, uint32_t w) { memcpy(p, &w, 4); }

/* Two Q15 sums to (re, im) = (re >> 15, im >> 15), truncated to int16 each:
 * PKHTB takes the top half of im << 1 and the bottom half of re >> 15. */
static inline uint32_t pack_q15(int32_t re, int32_t im) {
  uint32_t out;
  __asm__("pkhtb %0, %1, %2, asr #15" : "=r"(out) : "r"((uint32_t)im << 1), "r"(re));
  return out;
}

static inline uint32_t pdiv(uint32_t x, int32_t k) {
  return pack_q15(__smlabb((int32_t)x, k, 1 << 14), __smlatb((int32_t)x, k, 1 << 14));
}

static inline uint32_t pmul(uint32_t a, const int16_t *tw) {
  const int32_t w = (int32_t)ld(tw);
  return pack_q15(__smlsd((int32_t)a, w, 1 << 14), __smladx((int32_t)a, w, 1 << 14));
}

#define PADD(a, b) ((uint32_t)__sadd16((int16x2_t)(a), (int16x2_t)(b)))
#define PSUB(a, b) ((uint32_t)__ssub16((int16x2_t)(a), (int16x2_t)(b)))

static void radix4_packed(int16_t *data, uint32_t blocks, uint32_t m, uint32_t stride) {
  for (uint32_t b = 0; b < blocks; b++) {
    int16_t *f = data + 2 * (b * 4 * m);
    for (uint32_t k = 0; k < m; k++, f += 2) {
      int16_t *f0 = f, *f1 = f + 2 * m, *f2 = f + 4 * m, *f3 = f + 6 * m;
      uint32_t a0 = pdiv(ld(f0), 32767 / 4);
      const uint32_t s0 = pmul(pdiv(ld(f1), 32767 / 4), tml_fe_twiddles + 2 * (k * stride));
      const uint32_t s1 = pmul(pdiv(ld(f2), 32767 / 4), tml_fe_twiddles + 2 * (2 * k * stride));
      const uint32_t s2 = pmul(pdiv(ld(f3), 32767 / 4), tml_fe_twiddles + 2 * (3 * k * stride));
      const uint32_t s5 = PSUB(a0, s1);
      a0 = PADD(a0, s1);
      const uint32_t s3 = PADD(s0, s2), s4 = PSUB(s0, s2);
      st(f2, PSUB(a0, s3));
      st(f0, PADD(a0, s3));
      st(f1, (uint32_t)__ssax((int16x2_t)s5, (int16x2_t)s4));
      st(f3, (uint32_t)__sasx((int16x2_t)s5, (int16x2_t)s4));
    }
  }
}

static void radix2_packed(int16_t *data, uint32_t blocks, uint32_t m, uint32_t stride) {
  for (uint32_t b = 0; b < blocks; b++) {
    int16_t *f = data + 2 * (b * 2 * m);
    for (uint32_t k = 0; k < m; k++, f += 2) {
      const uint32_t a0 = pdiv(ld(f), 32767 / 2);
      const uint32_t t = pmul(pdiv(ld(f + 2 * m), 32767 / 2), tml_fe_twiddles + 2 * (k * stride));
      st(f + 2 * m, PSUB(a0, t));
      st(f, PADD(a0, t));
    }
  }
}
/* split() with SHADD16/SHSUB16 for KissFFT's halved sums (exact: the lanes
 * add at 17 bits before the shift). The conjugate negates the high half
 * with wrap-around before the division, as KissFFT does. */
static void split_packed(int16_t *data, uint32_t n) {
  for (uint32_t k = 1; k <= n / 2; k++) {
    const uint32_t xnk = ld(data + 2 * (n - k));
    const uint32_t negated = PSUB(0u, xnk);
    const uint32_t fpk = pdiv(ld(data + 2 * k), 32767 / 2);
    const uint32_t fpnk = pdiv((xnk & 0xFFFFu) | (negated & 0xFFFF0000u), 32767 / 2);
    const uint32_t f1 = PADD(fpk, fpnk);
    const uint32_t tw = pmul(PSUB(fpk, fpnk), tml_fe_super_twiddles + 2 * (k - 1));
    const uint32_t low = (uint32_t)__shsub16((int16x2_t)f1, (int16x2_t)tw);
    const uint32_t high = (uint32_t)__shsub16((int16x2_t)tw, (int16x2_t)f1);
    st(data + 2 * k, (uint32_t)__shadd16((int16x2_t)f1, (int16x2_t)tw));
    st(data + 2 * (n - k), (low & 0xFFFFu) | (high & 0xFFFF0000u));
  }
}
#define RADIX4 radix4_packed
#define RADIX2 radix2_packed
#define SPLIT split_packed
#endif

void tml_frontend_fft(int16_t *data) {
  const uint32_t n = TML_FE_FFT_SIZE / 2; /* complex points */
  for (uint32_t s = 0; s < TML_FE_FFT_STAGES; s++) {
    const uint16_t *stage = tml_fe_fft_stages + 3 * s;
    uint32_t radix = stage[0], m = stage[1], stride = stage[2];
    if (radix == 4) {
      RADIX4(data, n / (4 * m), m, stride);
    } else {
      RADIX2(data, n / (2 * m), m, stride);
    }
  }

  /* Bins 0 and N (real) from the DC term of the complex FFT, then the rest. */
  cpx dc = load(data);
  dc.r = DIV2(dc.r);
  dc.i = DIV2(dc.i);
  store(data, dc.r + dc.i, 0);
  store(data + 2 * n, dc.r - dc.i, 0);
  SPLIT(data, n);
}
