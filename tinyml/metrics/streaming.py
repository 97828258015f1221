"""Streaming keyword recognition as a device runs it, and its errors on a long labelled stream.

A model that classifies fixed clips meets a continuous signal on the device:
it is run on a sliding window every `hop` samples, its scores are averaged
over the last `average` samples, and a keyword is detected when the averaged
arg-max is a keyword whose averaged score reaches the threshold, at most once
per `suppression` samples (the same keyword under the window for several
hops must not fire several times). On a stream made of labelled clips and
silence, a detection of the keyword of a clip, during the clip or up to
`tolerance` samples after it, is a hit (one per clip); every other detection
is a false accept, counted per hour of audio.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Utterance:
    """One clip placed in a stream: its class and where it lies (samples, end exclusive)."""
    label: int
    start: int
    end: int


@dataclass(frozen=True)
class Detection:
    time: int  # sample index of the end of the window that fired
    label: int
    score: float  # the averaged score


def concatenate(clips: list[np.ndarray], labels: list[int], gap: int, noise_std: float = 0.0,
                seed: int = 0) -> tuple[np.ndarray, list[Utterance]]:
    """int16 stream of the clips, each preceded and the last followed by `gap` samples of silence
    (Gaussian noise of `noise_std`, 0 for digital silence), and where each clip lies in it."""
    rng = np.random.default_rng(seed)

    def silence():
        return np.clip(np.round(rng.normal(0, noise_std, gap)), -32768, 32767).astype(np.int16)

    parts, utterances, at = [], [], 0
    for clip, label in zip(clips, labels):
        parts += [silence(), np.asarray(clip, dtype=np.int16)]
        utterances.append(Utterance(int(label), at + gap, at + gap + len(clip)))
        at += gap + len(clip)
    parts.append(silence())
    return np.concatenate(parts), utterances


def window_scores(stream: np.ndarray, classify: Callable[[np.ndarray], np.ndarray], window: int,
                  hop: int) -> tuple[np.ndarray, np.ndarray]:
    """(end sample of each window, class scores [windows, classes]) of `classify` on every full
    window of `window` samples, every `hop` samples."""
    ends = np.arange(window, len(stream) + 1, hop)
    return ends, np.array([np.asarray(classify(stream[end - window:end]), dtype=np.float64) for end in ends])


def recognize(times: np.ndarray, scores: np.ndarray, keywords, threshold: float, average: int,
              suppression: int) -> list[Detection]:
    """Detections from window scores in time order: scores averaged over the windows that ended in
    the last `average` samples; no detection within `suppression` samples after the previous one."""
    keywords = set(int(k) for k in keywords)
    detections: list[Detection] = []
    first = 0  # the oldest window still inside the averaging period
    for i, now in enumerate(times):
        while times[first] <= now - average:
            first += 1
        mean = scores[first:i + 1].mean(axis=0)
        top = int(mean.argmax())
        if top not in keywords or mean[top] < threshold:
            continue
        if detections and now - detections[-1].time < suppression:
            continue
        detections.append(Detection(int(now), top, float(mean[top])))
    return detections


def stream_errors(detections: list[Detection], utterances: list[Utterance], keywords, stream_samples: int,
                  sample_rate: int, tolerance: int) -> dict:
    """Hits, misses (FRR) over the keyword clips, and false accepts (per hour) over the whole stream."""
    keywords = set(int(k) for k in keywords)
    wanted = [u for u in utterances if u.label in keywords]
    hit = set()
    false_accepts = 0
    for d in detections:
        match = next((i for i, u in enumerate(wanted)
                      if i not in hit and u.label == d.label and u.start <= d.time <= u.end + tolerance), None)
        if match is None:
            false_accepts += 1
        else:
            hit.add(match)
    hours = stream_samples / sample_rate / 3600
    return {
        "keyword_clips": len(wanted),
        "hits": len(hit),
        "misses": len(wanted) - len(hit),
        "frr": (len(wanted) - len(hit)) / len(wanted) if wanted else 0.0,
        "false_accepts": false_accepts,
        "hours": hours,
        "false_accepts_per_hour": false_accepts / hours if hours else 0.0,
    }
