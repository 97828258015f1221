import numpy as np
import pytest

from tinyml.metrics import streaming
from tinyml.metrics.streaming import Detection, Utterance

RATE = 8000
TONES = (500.0, 1000.0, 1500.0)  # classes 0, 1, 2 (keywords); class 3 is silence


def _tone(hz: float, samples: int = 4000) -> np.ndarray:
    return (8000 * np.sin(2 * np.pi * hz * np.arange(samples) / RATE)).astype(np.int16)


def _classify(window: np.ndarray) -> np.ndarray:
    """A real (if simple) classifier: the signal's power at each class's tone against a fixed silence level."""
    t = np.arange(len(window)) / RATE
    x = window.astype(np.float64)
    power = [np.hypot(x @ np.sin(2 * np.pi * hz * t), x @ np.cos(2 * np.pi * hz * t)) / len(x) for hz in TONES]
    p = np.array([*power, 100.0])
    return p / p.sum()


def test_recognize_by_hand_averages_and_suppresses():
    times = np.array([10, 20, 30, 40, 50, 60, 70])
    scores = np.array([[0.9, 0.1], [0.9, 0.1], [0.1, 0.9], [0.9, 0.1], [0.9, 0.1], [0.9, 0.1], [0.1, 0.9]])
    # Averaged over 2 windows (average=20): 0.9, 0.9, 0.5, 0.5, 0.9, 0.9, 0.5 for class 0.
    found = streaming.recognize(times, scores, keywords=[0], threshold=0.8, average=20, suppression=35)
    assert found == [Detection(10, 0, 0.9), Detection(50, 0, pytest.approx(0.9))]  # 20 is within 35 of 10
    assert len(streaming.recognize(times, scores, [0], 0.8, average=20, suppression=0)) == 4
    assert streaming.recognize(times, scores, [1], 0.8, average=20, suppression=0) == []  # never averages 0.8


def test_concatenate_places_every_clip_after_its_gap():
    stream, where = streaming.concatenate([np.ones(3, np.int16), 2 * np.ones(5, np.int16)], [4, 7], gap=2)
    assert stream.tolist() == [0, 0, 1, 1, 1, 0, 0, 2, 2, 2, 2, 2, 0, 0]
    assert where == [Utterance(4, 2, 5), Utterance(7, 7, 12)]


def _stream(labels_and_tones, seed=0):
    clips = [_tone(TONES[tone]) if tone is not None else np.zeros(4000, np.int16) for _, tone in labels_and_tones]
    return streaming.concatenate(clips, [label for label, _ in labels_and_tones], gap=8000, noise_std=200, seed=seed)


def _errors(stream, where, suppression=8000):
    times, scores = streaming.window_scores(stream, _classify, window=2000, hop=400)
    found = streaming.recognize(times, scores, [0, 1, 2], threshold=0.8, average=1200, suppression=suppression)
    return found, streaming.stream_errors(found, where, [0, 1, 2], len(stream), RATE, tolerance=2000)


def test_every_keyword_once_and_no_false_accept_on_a_clean_stream():
    stream, where = _stream([(0, 0), (1, 1), (3, None), (2, 2), (0, 0), (1, 1)])
    found, errors = _errors(stream, where)
    assert [d.label for d in found] == [0, 1, 2, 0, 1]
    assert errors["keyword_clips"] == errors["hits"] == 5 and errors["misses"] == 0 and errors["false_accepts"] == 0
    assert errors["hours"] == pytest.approx(len(stream) / RATE / 3600)
    # Without suppression one tone fires at several hops: the repeats are false accepts.
    found, errors = _errors(stream, where, suppression=0)
    assert len(found) > 5 and errors["hits"] == 5 and errors["false_accepts"] == len(found) - 5


def test_a_distractor_is_a_false_accept_per_hour_and_a_wrong_keyword_a_miss_too():
    # Clip 2 is an 'unknown' word (class 3) that sounds like keyword 0; clip 3 says 2 where 1 was expected.
    stream, where = _stream([(0, 0), (3, 0), (1, 2)])
    found, errors = _errors(stream, where)
    assert [d.label for d in found] == [0, 0, 2]
    assert (errors["hits"], errors["misses"], errors["frr"]) == (1, 1, 0.5)
    assert errors["false_accepts"] == 2
    assert errors["false_accepts_per_hour"] == pytest.approx(2 / (len(stream) / RATE / 3600))
