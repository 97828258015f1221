/* Window, filterbank, noise reduction, PCAN and log of the audio frontend
 * (tml_frontend.h). Integer semantics follow TensorFlow's microfrontend op
 * exactly, including its wrap-arounds at full scale, because the features
 * must match it value for value.
 */
#include "tml_frontend.h"

#include <string.h>

#define FILTERBANK_BITS 12
#define NOISE_REDUCTION_BITS 14
#define PCAN_SNR_BITS 12
#define PCAN_OUTPUT_BITS 6
#define LOG_SCALE_BITS 16
#define LOG_SEGMENT_BITS 7
#define LOG_COEFF 45426 /* ln(2) in Q16 */
#define NUM_BINS (TML_FE_END_BIN - TML_FE_START_BIN)

static inline uint32_t msb32(uint32_t x) { return x ? 32u - (uint32_t)__builtin_clz(x) : 0u; }

/* floor(sqrt(n)) by Newton's iteration from a power of two above it: it
 * decreases monotonically to the floor (one 32-bit division a step, a
 * handful of steps instead of the 16 of digit-by-digit). */
static uint32_t isqrt32(uint32_t n) {
  if (n < 2) {
    return n;
  }
  uint32_t x = 1u << ((msb32(n) + 1) >> 1);
  for (;;) {
    uint32_t y = (x + n / x) >> 1;
    if (y >= x) {
      return x;
    }
    x = y;
  }
}

/* sqrt(num) rounded to nearest (half up), as the op's Sqrt64/Sqrt32 return
 * it: the floor plus one when the remainder exceeds it, except at the cap
 * (0xFFFF for values below 2^32, where the op takes its 32-bit path; there the
 * floor never exceeds it). Above 2^32 the floor comes from the floor of the
 * top 32 bits' root and one Newton step that needs only a 32-bit division
 * (it lands within 2 of the floor), then exact fix-ups on 64-bit squares. */
uint32_t tml_frontend_sqrt(uint64_t num) {
  if ((num >> 32) == 0) {
    uint32_t n = (uint32_t)num, r = isqrt32(n);
    return (n - r * r > r && r != 0xFFFFu) ? r + 1 : r;
  }
  const uint32_t k = (32 + msb32((uint32_t)(num >> 32)) - 31) >> 1; /* num >> 2k has 31 or 32 bits */
  const uint32_t r = isqrt32((uint32_t)(num >> (2 * k)));
  const uint64_t s0 = (uint64_t)r << k;
  const uint64_t step = (uint32_t)((num - s0 * s0) >> (k + 1)) / r;
  uint64_t s = s0 + step;
  s = s > 0xFFFFFFFFull ? 0xFFFFFFFFull : s;
  while (s * s > num) {
    s--;
  }
  while (s < 0xFFFFFFFFull && (s + 1) * (s + 1) <= num) {
    s++;
  }
  return (uint32_t)((num - s * s > s && s != 0xFFFFFFFFull) ? s + 1 : s);
}

static uint32_t noise_reduce(uint32_t signal, uint32_t *estimate, uint32_t smoothing) {
  const uint32_t scaled = signal << TML_FE_SMOOTHING_BITS;
  uint32_t e =
      (uint32_t)(((uint64_t)scaled * smoothing + (uint64_t)*estimate * ((1u << NOISE_REDUCTION_BITS) - smoothing)) >>
                 NOISE_REDUCTION_BITS);
  *estimate = e;
  if (e > scaled) {
    e = scaled;
  }
  const uint32_t floor = (uint32_t)(((uint64_t)signal * TML_FE_MIN_SIGNAL_REMAINING) >> NOISE_REDUCTION_BITS);
  const uint32_t subtracted = (scaled - e) >> TML_FE_SMOOTHING_BITS;
  return subtracted > floor ? subtracted : floor;
}

#if TML_FE_ENABLE_PCAN
/* The gain for a noise estimate: a quadratic within each octave of it. */
static int16_t pcan_gain(uint32_t x) {
  if (x <= 2) {
    return tml_fe_pcan_lut[x];
  }
  const int32_t interval = (int32_t)msb32(x);
  const int16_t *lut = tml_fe_pcan_lut + 4 * interval - 6;
  const int16_t frac = (int16_t)(((interval < 11) ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FF);
  int32_t result = ((int32_t)lut[2] * frac) >> 5;
  result += (int32_t)((uint32_t)lut[1] << 5);
  result *= frac;
  result = (result + (1 << 14)) >> 15;
  result += lut[0];
  return (int16_t)result;
}

static uint32_t pcan(uint32_t signal, uint32_t noise) {
  const uint32_t gain = (uint32_t)(int32_t)pcan_gain(noise);
  const uint32_t snr = (uint32_t)(((uint64_t)signal * gain) >> TML_FE_PCAN_SNR_SHIFT);
  if (snr < (2u << PCAN_SNR_BITS)) {
    return (snr * snr) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS);
  }
  return (snr >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1u << PCAN_OUTPUT_BITS);
}
#endif

#if TML_FE_ENABLE_LOG
/* ln(x) * 2^scale_shift, from log2 with a 128-segment correction curve. */
static uint32_t log_scaled(uint32_t x) {
  const uint32_t integer = msb32(x) - 1;
  int32_t frac = (int32_t)(x - (uint32_t)(1ull << integer));
  if (integer < LOG_SCALE_BITS) {
    frac = (int32_t)((uint32_t)frac << (LOG_SCALE_BITS - integer));
  } else {
    frac >>= integer - LOG_SCALE_BITS;
  }
  const uint32_t seg = (uint32_t)frac >> (LOG_SCALE_BITS - LOG_SEGMENT_BITS);
  const int32_t c0 = tml_fe_log_lut[seg];
  const int32_t c1 = tml_fe_log_lut[seg + 1];
  const int32_t rel = ((c1 - c0) * (frac - (int32_t)(seg << (LOG_SCALE_BITS - LOG_SEGMENT_BITS)))) >> LOG_SCALE_BITS;
  const uint32_t log2 = (integer << LOG_SCALE_BITS) + (uint32_t)(frac + c0 + rel);
  const uint32_t round = 1u << (LOG_SCALE_BITS - 1);
  const uint32_t loge = (uint32_t)(((uint64_t)LOG_COEFF * log2 + round) >> LOG_SCALE_BITS);
  return ((loge << TML_FE_SCALE_SHIFT) + round) >> LOG_SCALE_BITS;
}
#endif

/* One channel's filterbank sum to its feature. */
static uint16_t feature(uint64_t energy, int shift, uint32_t *estimate, uint32_t smoothing) {
  uint32_t value = tml_frontend_sqrt(energy) >> shift;
  uint32_t noise_free = noise_reduce(value, estimate, smoothing);
#if TML_FE_ENABLE_PCAN
  noise_free = pcan(noise_free, *estimate);
#endif
  value = noise_free;
#if TML_FE_ENABLE_LOG
#if TML_FE_LOG_CORRECTION_BITS < 0
  value >>= -(TML_FE_LOG_CORRECTION_BITS);
#else
  value <<= TML_FE_LOG_CORRECTION_BITS;
#endif
  value = value > 1 ? log_scaled(value) : 0;
#endif
  value = value < 0xFFFFu ? value : 0xFFFFu;
  return (uint16_t)(value / TML_FE_OUT_SCALE);
}

static void process_window(tml_frontend_state *state, uint16_t *features) {
  int16_t *fft = state->fft;
  /* Window into KissFFT's input order. The op scales by the magnitude of
   * the largest windowed value, taken with int16 negation, so -32768 does
   * not count (it stays negative); only the magnitude's top bit matters,
   * which is the top bit of all the magnitudes ORed, -32768 masked out. */
  uint32_t magnitudes = 0;
  for (uint32_t i = 0; i < TML_FE_WINDOW_SIZE; i++) {
    const int32_t v = ((int32_t)state->input[i] * tml_fe_window[i]) >> 12;
    fft[2 * tml_fe_fft_order[i >> 1] + (i & 1)] = (int16_t)v;
    magnitudes |= (uint32_t)(v < 0 ? -v : v);
  }
  for (uint32_t i = TML_FE_WINDOW_SIZE; i < TML_FE_FFT_SIZE; i++) {
    fft[2 * tml_fe_fft_order[i >> 1] + (i & 1)] = 0;
  }
  /* Scale up for the most FFT resolution; each int16 wraps like the op's
   * shift. Two at a time: the mask drops what crosses the half boundary. */
  const int shift = 15 - (int)msb32(magnitudes & 0x7FFFu);
  const uint32_t keep = ((0xFFFFu << shift) & 0xFFFFu) | (0xFFFF0000u << shift);
  for (uint32_t i = 0; i < TML_FE_FFT_SIZE; i += 2) {
    uint32_t pair;
    memcpy(&pair, fft + i, sizeof(pair));
    pair = (pair << shift) & keep;
    memcpy(fft + i, &pair, sizeof(pair));
  }
  tml_frontend_fft(fft);

  /* Band c's sum is its own bins by weight plus band c-1's by unweight.
   * The op accumulates in uint64 with the energy sign-extended from int32
   * (it is negative only when re = im = -32768); signed 64-bit sums give the
   * same bits. */
  const int16_t *bin = fft + 2 * TML_FE_START_BIN;
  uint32_t b = 0;
  int64_t carry = 0;
  for (uint32_t band = 0; band <= TML_FE_NUM_CHANNELS; band++) {
    int64_t weighted = carry, unweighted = 0;
    for (uint32_t j = tml_fe_channel_widths[band]; j; j--, b++, bin += 2) {
      const uint32_t re2 = (uint32_t)((int32_t)bin[0] * bin[0]), im2 = (uint32_t)((int32_t)bin[1] * bin[1]);
      const int32_t energy = (int32_t)(re2 + im2);
      weighted += (int64_t)tml_fe_weights[b] * energy;
      unweighted += (int64_t)tml_fe_unweights[b] * energy;
    }
    if (band > 0) {
      const uint32_t c = band - 1;
      features[c] = feature((uint64_t)weighted, shift, &state->noise_estimate[c],
                            (c & 1) ? TML_FE_ODD_SMOOTHING : TML_FE_EVEN_SMOOTHING);
    }
    carry = unweighted;
  }
}

void tml_frontend_init(tml_frontend_state *state) { memset(state, 0, sizeof(*state)); }

size_t tml_frontend_feed(tml_frontend_state *state, const int16_t *samples, size_t count, uint16_t *features,
                         int *ready) {
  size_t take = TML_FE_WINDOW_SIZE - state->input_used;
  take = take < count ? take : count;
  memcpy(state->input + state->input_used, samples, take * sizeof(*samples));
  state->input_used += (uint32_t)take;
  *ready = 0;
  if (state->input_used == TML_FE_WINDOW_SIZE) {
    process_window(state, features);
    memmove(state->input, state->input + TML_FE_WINDOW_STEP,
            (TML_FE_WINDOW_SIZE - TML_FE_WINDOW_STEP) * sizeof(*state->input));
    state->input_used -= TML_FE_WINDOW_STEP;
    *ready = 1;
  }
  return take;
}

size_t tml_frontend_run(tml_frontend_state *state, const int16_t *samples, size_t count, uint16_t *features,
                        size_t max_frames) {
  size_t frames = 0;
  tml_frontend_init(state);
  while (count > 0 && frames < max_frames) {
    int ready;
    size_t taken = tml_frontend_feed(state, samples, count, features + frames * TML_FE_NUM_CHANNELS, &ready);
    samples += taken;
    count -= taken;
    frames += (size_t)ready;
  }
  return frames;
}
