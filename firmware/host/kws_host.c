/* Host harness of audio firmware for differential tests (never shipped).
 * Reads raw clips (TML_KWS_CLIP_SAMPLES int16 each) from stdin until EOF and
 * writes the model's raw output (TML_OUTPUT_BYTES) per clip to stdout. With an
 * argument N, each clip is fed to tml_kws_feed in pieces of 1, 2, ... N
 * samples (as audio arrives on a device); without, in one tml_kws_run call. */
#include <stdio.h>
#include <stdlib.h>

#include "kws.h"
#include "model_plan.h"

static int16_t clip[TML_KWS_CLIP_SAMPLES];

static int run_in_pieces(size_t max_piece) {
  size_t piece = 1;
  tml_kws_begin();
  for (size_t done = 0; done < TML_KWS_CLIP_SAMPLES;) {
    const size_t left = TML_KWS_CLIP_SAMPLES - done;
    const size_t n = piece < left ? piece : left;
    tml_kws_feed(clip + done, n);
    done += n;
    piece = piece % max_piece + 1;
  }
  return tml_model_run();
}

int main(int argc, char **argv) {
  const size_t max_piece = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 0;
  size_t got;
  while ((got = fread(clip, sizeof clip[0], TML_KWS_CLIP_SAMPLES, stdin)) == TML_KWS_CLIP_SAMPLES) {
    const int rc = max_piece ? run_in_pieces(max_piece) : tml_kws_run(clip);
    if (rc != 0) {
      return 3;
    }
    if (fwrite(tml_model_output(), 1, TML_OUTPUT_BYTES, stdout) != TML_OUTPUT_BYTES) {
      return 4;
    }
  }
  if (got != 0) {
    fprintf(stderr, "kws host harness: a trailing partial clip of %u samples\n", (unsigned)got);
    return 2;
  }
  return 0;
}
