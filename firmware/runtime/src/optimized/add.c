/* ADD, optimized; same interface and results as kernels/add.c.
 *
 * TFLite's int8 ADD shifts each input plus its offset left by left_shift,
 * rescales it by a multiplier of at most 1/2 (so its shift is <= 0), sums the
 * two and requantizes the sum. With left_shift <= 21 every one of these values
 * stays below 2^30 in magnitude (510 * 2^21 < 2^30), so the saturating corner
 * of the doubling high multiply never occurs and each rescaling is one SMMLAR
 * and shifts: the inputs by scale_input below, the output by the conv
 * kernels' tml_requantize_fast when its shift is a right shift by 1..31. Same-
 * shape inputs (the residual adds of ResNets) then take one flat loop, with no
 * call or broadcast index per element; anything else goes element by element
 * with the general fixed-point helpers.
 */
#include "../kernels/broadcast.h"
#include "../kernels/rescale_pair.h"
#include "mac_requant.h"
#include "tml_kernels.h"

/* RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(t, m), e) for |t| < 2^29, e in [0, 30], given
 * t2 = 2t: with x = floor((t * m + 2^30) / 2^31) and s = -1 for negative t (x then is negative or 0),
 * else 0, SMMLAR(2t, m, s) = x + s and the rounded division is floor((2 (x + s) + 2^e) / 2^(e + 1));
 * for e = 0 the result must be x itself, so s is masked to 0 (`sign_mask` 0 when e = 0, else -1). */
static inline int32_t scale_input(int32_t t2, int32_t m, int32_t sign_mask, int32_t round, int32_t e_plus_1) {
  const int32_t xs = tml_smmlar(t2, m, (t2 >> 31) & sign_mask);
  return ((int32_t)((uint32_t)xs << 1) + round) >> e_plus_1;
}

static int8_t add_general(int32_t a, int32_t b, const void *params) {
  const tml_add_params *p = (const tml_add_params *)params;
  const tml_rescaled_pair r = tml_rescale_pair(a, b, p);
  const int32_t out = tml_multiply_by_quantized_multiplier(r.a + r.b, p->output_multiplier, p->output_shift);
  return (int8_t)tml_clamp(out + p->output_offset, p->act_min, p->act_max);
}

/* Whether the shapes are equal: every stride of both inputs that of the dense output. */
static int same_shape(const tml_broadcast_shape *b) {
  int32_t stride = 1;
  for (int32_t d = 3; d >= 0; --d) {
    if (b->shape[d] != 1 && (b->stride1[d] != stride || b->stride2[d] != stride)) return 0;
    stride *= b->shape[d];
  }
  return 1;
}

static void add_flat(const tml_add_params *p, int32_t n) {
  const int32_t left2 = p->left_shift + 1, off1 = p->input1_offset, off2 = p->input2_offset;
  const int32_t m1 = p->input1_multiplier, e1 = -p->input1_shift, m2 = p->input2_multiplier, e2 = -p->input2_shift;
  const int32_t mask1 = e1 ? -1 : 0, round1 = 1 << e1, mask2 = e2 ? -1 : 0, round2 = 1 << e2;
  const int32_t mo = p->output_multiplier, eo_minus_1 = -p->output_shift - 1, off_out = 2 * p->output_offset + 1;
  const int32_t lo = p->act_min, hi = p->act_max;
  const int8_t *a = p->input1, *b = p->input2;
  int8_t *out = p->output;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t x1 = scale_input((int32_t)((uint32_t)(a[i] + off1) << left2), m1, mask1, round1, e1 + 1);
    const int32_t x2 = scale_input((int32_t)((uint32_t)(b[i] + off2) << left2), m2, mask2, round2, e2 + 1);
    out[i] = (int8_t)tml_clamp(tml_requantize_fast(x1 + x2, mo, eo_minus_1, off_out), lo, hi);
  }
}

void tml_add(const tml_add_params *p) {
  const tml_broadcast_shape *b = &p->b;
  const int fast = p->left_shift <= 21 && p->input1_shift <= 0 && p->input1_shift >= -30 && p->input2_shift <= 0 &&
                   p->input2_shift >= -30 && p->output_shift <= -1 && p->output_shift >= -31;
  if (fast && same_shape(b)) {
    add_flat(p, b->shape[0] * b->shape[1] * b->shape[2] * b->shape[3]);
    return;
  }
  tml_broadcast_apply(b, p->input1, p->input2, p->output, add_general, p);
}
