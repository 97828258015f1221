/* A conv-like op's per-channel requantization constants, computed before
 * each run instead of stored: the filter's float32 scales are in the model
 * array already, and the results go to arena bytes no live tensor uses.
 * Integer arithmetic only (no FPU or soft-float needed); the code generator
 * replays it (fixed_point.multipliers_from_scales) and takes this path only
 * for ops where it gives TFLite's multiplier and shift for every channel. */
#include "tml_kernels.h"

void tml_compute_multipliers(const tml_multipliers_params *p) {
  const uint32_t k_hi = p->k_hi, k_lo = p->k_lo;
  const int32_t channels = p->channels, step = p->scale_step, shift_base = p->shift_base;
  const uint32_t *scale = p->scales;
  int32_t *multiplier = p->multiplier;
  int8_t *shift = p->shift;
  for (int32_t c = 0; c < channels; ++c, scale += step) {
    const uint32_t bits = *scale;
    const uint32_t mantissa = (bits & 0x7FFFFFu) | 0x800000u;
    /* mantissa * k / 2^32 in [2^54, 2^56), the low product's fraction dropped (replayed on the host). */
    uint64_t product = (uint64_t)mantissa * k_hi + (((uint64_t)mantissa * k_lo) >> 32);
    const int32_t top = (int32_t)(product >> 55);
    if (!top) product <<= 1; /* to [2^55, 2^56): one constant shift below, no 64-bit variable one */
    uint32_t m = (uint32_t)((product + (1u << 24)) >> 25);
    int32_t s = (int32_t)(bits >> 23) + shift_base + top;
    if (m == 0x80000000u) { /* rounded up to 1.0: TFLite halves it */
      m = 0x40000000u;
      ++s;
    }
    multiplier[c] = (int32_t)m;
    shift[c] = (int8_t)s;
  }
}
