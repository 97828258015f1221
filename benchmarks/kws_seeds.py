"""Seed-spread benchmark: the spoken digits model trained with several seeds, alone and as ensembles.

A pipeline run trains with one seed (the config's); its accuracy on the eval
speaker is one draw from the spread the seed alone causes. This trains the
example's model as its run_fn does (build_model, the time-shift augmentation,
the cosine schedule, the config's epochs, batch size and learning rate) with
the config's seed and then 1, 2, 3, ..., on features computed once as
Transform computes them from the clips as the WAV ExampleGen reads and splits
them. It reports each seed's float accuracy on the eval split, their mean and
spread, the accuracy of ensembles averaging k models' probabilities (every
k-combination of the seeds' models) and of all of them, and the all-seed
ensemble's recall per class; with --cv the same for each leave-one-training-
speaker-out fold. Prints a table, writes JSON and a PNG beside it.

    python -m benchmarks.kws_seeds --out bench/kws_seeds.json [--seeds 10] [--cv]
    make bench-kws-seeds
"""
from __future__ import annotations

import argparse
import itertools
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.results import write as write_results
from tinyml import paths
from tinyml.config import PipelineConfig, load_config

CONFIG = paths.EXAMPLES_DIR / "spoken_digits" / "config.yaml"
# Issue 12: speaker-independent accuracy.
TARGET_ACCURACY = 0.90
# Ensembles of 1..MAX_ENSEMBLE models over every combination of the seeds' models, and of all of them.
MAX_ENSEMBLE = 5
FEATURE_BATCH = 100


@dataclass(frozen=True)
class Clips:
    """The data set's clips in file name order, as the WAV ExampleGen writes them."""

    names: list[str]
    samples: np.ndarray  # int16 [clips, clip_samples], padded or cropped
    labels: np.ndarray  # int64 [clips]
    groups: np.ndarray  # the group feature's value per clip (the file name without one)
    in_eval: np.ndarray  # bool [clips]: the split ExampleGen puts the clip in


def split_index(example, split) -> int:
    """The split ExampleGen puts a tf.Example in (0 train, 1 eval) under `split`, the pipeline's SplitConfig:
    hashed by TFX's own partition function (private, but the one ExampleGen calls), the group feature's
    value when one is set, else the whole example."""
    from tfx.components.example_gen.base_example_gen_executor import _PartitionFn

    buckets = list(itertools.accumulate(s.hash_buckets for s in split.splits))
    return _PartitionFn(example, len(buckets), buckets, split)


def _subset(names: list[str], rule, config: PipelineConfig, per_group_and_label: int | None) -> list[str]:
    """The first `per_group_and_label` files of each group value and label (all files when None)."""
    if per_group_and_label is None:
        return names
    taken, kept = defaultdict(int), []
    for name in names:
        f = rule.features(name)
        key = (f.get(config.data.group_feature), f[config.data.label])
        if taken[key] < per_group_and_label:
            taken[key] += 1
            kept.append(name)
    return kept


def read_clips(config: PipelineConfig, per_group_and_label: int | None = None) -> Clips:
    """The config's WAV files made into the WAV ExampleGen's tf.Examples, their samples, labels and splits."""
    import tensorflow as tf

    from pipelines.data_prep import wav_label_rule
    from pipelines.pipeline import split_config
    from tinyml.audio.wav_example import AUDIO_KEY, wav_example
    from tinyml.audio.wav_folder import wav_names

    rule = wav_label_rule(config)
    folder = config.data_path(Path(config.source_dir))  # the root only places bundled CSV examples
    names = _subset(wav_names(folder, rule), rule, config, per_group_and_label)
    split, group = split_config(config).split_config, config.data.group_feature
    samples, labels, groups, in_eval = [], [], [], []
    for name in names:
        example = tf.train.Example.FromString(wav_example(str(folder / name), rule, config.data.audio))
        feature = example.features.feature
        samples.append(np.array(feature[AUDIO_KEY].int64_list.value, np.int16))
        labels.append(feature[config.data.label].int64_list.value[0])
        groups.append(feature[group].bytes_list.value[0].decode() if group else name)
        in_eval.append(split_index(example, split) == 1)
    return Clips(names, np.stack(samples), np.array(labels, np.int64), np.array(groups), np.array(in_eval))


def eval_groups(clips: Clips) -> list[str]:
    return sorted(set(clips.groups[clips.in_eval]))


def features_of(samples: np.ndarray, config: PipelineConfig) -> np.ndarray:
    """float32 [clips, frames, channels]: the example's Transform function on the clips, in batches."""
    import tensorflow as tf

    from pipelines.examples.spoken_digits.preprocessing import clip_features

    audio = config.data.audio
    # Transform's input: the int64 samples of the examples.
    fn = tf.function(lambda clips: clip_features(clips, audio),
                     input_signature=[tf.TensorSpec([None, audio.clip_samples], tf.int64)])
    start, out = time.time(), []
    for i in range(0, len(samples), FEATURE_BATCH):
        out.append(fn(samples[i:i + FEATURE_BATCH].astype(np.int64)).numpy())
        print(f"features: {i + len(out[-1])} of {len(samples)} clips, {time.time() - start:.0f} s", flush=True)
    return np.concatenate(out)


def seed_list(count: int, first: int) -> list[int]:
    """The config's seed, then 1, 2, 3, ... (skipping it)."""
    rest = (s for s in itertools.count(1) if s != first)
    return [first, *itertools.islice(rest, count - 1)]


def train_probabilities(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, seed: int,
                        config: PipelineConfig) -> np.ndarray:
    """The example's model trained as its run_fn trains it (the same seeding, shuffle, augmentation,
    schedule and hyperparameters), its probabilities [clips, classes] on `x_test`."""
    import tensorflow as tf

    from pipelines.examples.spoken_digits import model as kws_model

    m = config.model
    kws_model.seed_training(seed)
    # As the Trainer's tfxio dataset: the whole split in the shuffle buffer, reshuffled every epoch.
    batches = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(len(x_train), seed=seed).batch(
        m.batch_size)
    model = kws_model.build_model(x_train.shape[1], x_train.shape[2], config.data.num_classes, m.learning_rate)
    kws_model.fit(model, kws_model.augmented(batches, seed), m.epochs, verbose=0)
    return model.predict(x_test, batch_size=500, verbose=0)


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(probabilities, axis=-1) == labels))


def spread(values) -> dict:
    """Mean, population standard deviation, min and max."""
    v = np.asarray(values, np.float64)
    return {"mean": float(v.mean()), "sd": float(v.std()), "min": float(v.min()), "max": float(v.max()), "n": len(v)}


def ensemble_accuracies(probabilities: np.ndarray, labels: np.ndarray, k: int) -> list[float]:
    """The accuracy of every k-combination of the models, each averaging its models' probabilities.

    probabilities: [models, clips, classes]."""
    return [accuracy(probabilities[list(c)].mean(axis=0), labels)
            for c in itertools.combinations(range(len(probabilities)), k)]


def per_class_recall(probabilities: np.ndarray, labels: np.ndarray, num_classes: int) -> list[float | None]:
    """The share of each class's clips predicted as it (None for a class without clips)."""
    predicted = np.argmax(probabilities, axis=-1)
    return [float(np.mean(predicted[labels == c] == c)) if np.any(labels == c) else None for c in range(num_classes)]


def _rows(seeds: list[int], accuracies: list[float]) -> list[dict]:
    return [{"seed": s, "accuracy": a} for s, a in zip(seeds, accuracies)]


def summarize(seeds: list[int], probabilities: np.ndarray, labels: np.ndarray, num_classes: int) -> dict:
    """Per-seed accuracies, their spread, the ensembles of k and of all the models, the all-model recall per class."""
    accuracies = [accuracy(p, labels) for p in probabilities]
    everything = probabilities.mean(axis=0)
    return {
        "clips": len(labels),
        "per_seed": _rows(seeds, accuracies),
        "accuracy": spread(accuracies),
        "ensembles": {str(k): spread(ensemble_accuracies(probabilities, labels, k))
                      for k in range(1, min(MAX_ENSEMBLE, len(seeds)) + 1)},
        "all_seeds_ensemble": accuracy(everything, labels),
        "all_seeds_per_class_recall": per_class_recall(everything, labels, num_classes),
    }


def evaluate(name: str, x_train, y_train, x_test, y_test, seeds: list[int], config: PipelineConfig) -> dict:
    """Trains one model per seed on the training clips and summarizes them on the test clips."""
    start, probabilities = time.time(), []
    for i, seed in enumerate(seeds, start=1):
        probabilities.append(train_probabilities(x_train, y_train, x_test, seed, config))
        print(f"{name}: seed {i} of {len(seeds)} ({seed}): accuracy {accuracy(probabilities[-1], y_test):.3f}, "
              f"{time.time() - start:.0f} s", flush=True)
    return summarize(seeds, np.stack(probabilities), y_test, config.data.num_classes)


def cross_validation(clips: Clips, x: np.ndarray, seeds: list[int], config: PipelineConfig) -> dict:
    """Leave one training group out: each fold trains on the other training groups and tests on it."""
    train_groups = sorted(set(clips.groups[~clips.in_eval]))
    folds = {}
    for held_out in train_groups:
        test = clips.groups == held_out
        train = ~clips.in_eval & ~test
        folds[held_out] = evaluate(f"cv fold {held_out}", x[train], clips.labels[train], x[test], clips.labels[test],
                                   seeds, config)
    per_seed = [float(np.mean([f["per_seed"][i]["accuracy"] for f in folds.values()])) for i in range(len(seeds))]
    return {"folds": folds, "mean_over_folds": {"per_seed": _rows(seeds, per_seed), "accuracy": spread(per_seed)}}


def print_table(results: dict) -> None:
    e = results["eval"]
    print(f"eval {', '.join(results['eval_groups'])}: {e['clips']} clips")
    print("seed  accuracy")
    for row in e["per_seed"]:
        print(f"{row['seed']:>4}  {row['accuracy']:.3f}")
    print("models       mean     sd    min    max")
    for k, s in e["ensembles"].items():
        print(f"{k:>6}      {s['mean']:.3f}  {s['sd']:.3f}  {s['min']:.3f}  {s['max']:.3f}  ({s['n']} combinations)")
    print(f"all {len(e['per_seed']):>2}      {e['all_seeds_ensemble']:.3f}")
    recall = "  ".join(f"{c}:{r:.2f}" for c, r in enumerate(e["all_seeds_per_class_recall"]) if r is not None)
    print(f"all-seed ensemble's recall per class: {recall}")
    cv = results.get("cv")
    if cv:
        for fold, f in cv["folds"].items():
            a = f["accuracy"]
            print(f"cv {fold:<10} mean {a['mean']:.3f} sd {a['sd']:.3f} min {a['min']:.3f} max {a['max']:.3f}, "
                  f"all-seed ensemble {f['all_seeds_ensemble']:.3f}")
        a = cv["mean_over_folds"]["accuracy"]
        print(f"cv mean over folds: mean {a['mean']:.3f} sd {a['sd']:.3f} min {a['min']:.3f} max {a['max']:.3f}")
    best = max(e["all_seeds_ensemble"], *(s["mean"] for s in e["ensembles"].values()))
    verdict = "reached" if best >= results["target"] else "missed"
    print(f"target {results['target']:g}: {verdict} (best mean {best:.3f})")


def _ensemble_curve(ax, summary: dict, label: str, color: str) -> None:
    ks = [int(k) for k in summary["ensembles"]]
    n = len(summary["per_seed"])
    mean = [summary["ensembles"][str(k)]["mean"] for k in ks] + [summary["all_seeds_ensemble"]]
    sd = [summary["ensembles"][str(k)]["sd"] for k in ks] + [0.0]
    x = [*ks, ks[-1] + 1]
    ax.plot(x, mean, "o-", color=color, label=f"{label}: ensemble mean (band: ±sd over combinations)")
    ax.fill_between(x, np.subtract(mean, sd), np.add(mean, sd), color=color, alpha=0.2)
    jitter = np.linspace(-0.08, 0.08, n) if n > 1 else [0.0]
    ax.plot(1 + np.asarray(jitter), [r["accuracy"] for r in summary["per_seed"]], ".", color=color, alpha=0.7,
            label=f"{label}: each seed's model")
    ax.set_xticks(x, [*map(str, ks), f"all {n}"])


def plot(results: dict, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cv = results.get("cv")
    fig, axes = plt.subplots(1, 2 if cv else 1, figsize=(13 if cv else 7, 5), squeeze=False)
    ax = axes[0][0]
    _ensemble_curve(ax, results["eval"], ", ".join(results["eval_groups"]), "tab:blue")
    ax.set_title(f"eval split ({results['eval']['clips']} clips)")
    if cv:
        colors = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"][1:])
        for fold, summary in cv["folds"].items():
            _ensemble_curve(axes[0][1], summary, fold, next(colors))
        axes[0][1].set_title("leave one training speaker out")
    for a in axes[0]:
        a.axhline(results["target"], color="grey", linestyle=":", label=f"issue 12's target {results['target']:g}")
        a.set_xlabel("models averaged")
        a.set_ylabel("float accuracy")
        a.legend(fontsize=7, loc="lower right")
    s = results["settings"]
    fig.suptitle(f"spoken digits: {len(s['seeds'])} seeds, {s['epochs']} epochs")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/kws_seeds.json"))
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--seeds", type=int, default=10, help="How many seeds: the config's, then 1, 2, 3, ...")
    parser.add_argument("--cv", action="store_true", help="Also leave each training speaker out in turn.")
    parser.add_argument("--epochs", type=int, help="Instead of the config's (a quick run).")
    parser.add_argument("--clips-per-group-and-label", type=int,
                        help="Only the first N files of each speaker and label (a quick run).")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    config = load_config(args.config)
    if args.epochs is not None:
        config = config.model_copy(update={"model": config.model.model_copy(update={"epochs": args.epochs})})
    if args.cv and not config.data.group_feature:
        parser.error(f"--cv leaves out one value of the group feature at a time; {args.config} sets no "
                     "data.group_feature")
    import tensorflow as tf

    from tinyml.keras_tracing import keep_autograph_out_of_keras
    from tinyml.runs.report import code_version

    keep_autograph_out_of_keras()  # as run_fn does
    tf.get_logger().setLevel("ERROR")  # each seed's new model traces its own train and predict functions
    args.out.parent.mkdir(parents=True, exist_ok=True)
    commit = code_version()  # the code that runs, whatever is committed while it does
    start = time.time()
    clips = read_clips(config, args.clips_per_group_and_label)
    x = features_of(clips.samples, config)
    features_s = time.time() - start
    seeds = seed_list(args.seeds, config.model.seed)
    train, test = ~clips.in_eval, clips.in_eval
    results = {
        "config": str(args.config),
        "eval_groups": eval_groups(clips),
        "train_groups": sorted(set(clips.groups[train])),
        "settings": {"seeds": seeds, "epochs": config.model.epochs, "batch_size": config.model.batch_size,
                     "learning_rate": config.model.learning_rate, "group_feature": config.data.group_feature,
                     "clip_ms": config.data.audio.clip_ms, "frontend": config.data.audio.frontend.model_dump(),
                     "clips_per_group_and_label": args.clips_per_group_and_label, "train_clips": int(train.sum()),
                     "sd": "population standard deviation (ddof 0)"},
        "eval": evaluate("eval", x[train], clips.labels[train], x[test], clips.labels[test], seeds, config),
    }
    if args.cv:
        results["cv"] = cross_validation(clips, x, seeds, config)
    results.update(target=TARGET_ACCURACY, git_commit=commit, cpus=os.cpu_count(),
                   seconds={"features": features_s, "training": time.time() - start - features_s,
                            "total": time.time() - start})
    print_table(results)
    write_results(args.out, results, lambda png: plot(results, png))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
