"""The pipeline config: a YAML file validated into typed data.

Every field has a type and a range; unknown fields are refused (a typo must not
silently fall back to a default). Errors name the file, the field and what is
allowed.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tinyml import paths
from tinyml.c_prefix import DEFAULT_PREFIX, prefix_problem
from tinyml.errors import TinymlError

DEFAULT_CONFIG = paths.EXAMPLES_DIR / "digits" / "config.yaml"
BUNDLED_EXAMPLES = ("digits",)
_IMPORT_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
_GCS_STORE = re.compile(r"gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](/\S*)?")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SplitConfig(_Strict):
    """Hash-bucket ratio of the train/eval split (done by ExampleGen, before any statistics),
    and the DataGate's check of the split it achieved."""

    train: int = Field(4, ge=1, le=100)
    eval: int = Field(1, ge=1, le=100)
    # A split whose share of the rows, class coverage or eval size is off:
    # 'stop' the run before Transform, or 'warn' (logged and in the run summary).
    # A few large groups (group_feature) can put most rows in one split.
    check: Literal["stop", "warn"] = "stop"
    # Percentage points a split's share of the rows may differ from train/(train+eval).
    max_share_deviation: float = Field(5.0, ge=0, le=100)
    # Fewest eval examples to judge (and bless) a model on.
    min_eval_examples: int = Field(50, ge=1)


class SpansConfig(_Strict):
    """Input in spans: 'data.path' holds {SPAN} (e.g. data/span-{SPAN}/digits.csv)."""

    # 'latest': train on the newest span; 'window': on the newest `window`
    # accepted spans (ExampleGen ingests the newest one, a resolver adds the
    # earlier ones that passed the drift check). Evaluation always uses the
    # newest span's eval split.
    select: Literal["latest", "window"] = "latest"
    window: int = Field(2, ge=2, le=1000)


class DriftConfig(_Strict):
    """Drift between the new span's training statistics and those of the last span that passed this check."""

    # TFDV drift comparator thresholds: Jensen-Shannon divergence for numeric
    # features, L-infinity distance for categorical ones (both 0..1).
    jensen_shannon: float = Field(0.1, gt=0, le=1)
    infinity_norm: float = Field(0.2, gt=0, le=1)
    # Features to compare; empty means every schema feature. TFDV's JSD works
    # on 10-bucket histograms and is noisy for near-constant features.
    features: tuple[str, ...] = ()
    # Per-feature thresholds overriding the two above.
    thresholds: dict[str, float] = {}


class DataConfig(_Strict):
    # Either a bundled example (exported into the runs root at run time) or a
    # path to the user's data: a CSV file/folder, or TFRecords of tf.Examples.
    example: Literal[BUNDLED_EXAMPLES] | None = None  # type: ignore[valid-type]
    path: str | None = None
    format: Literal["csv", "tfrecord", "wav"] = "csv"
    label: str
    num_classes: int = Field(ge=2, le=1000)
    slice_features: tuple[str, ...] = ()
    # Examples sharing a value of this feature (speaker, device, subject) all
    # land in one split, so eval never sees a group it trained on.
    group_feature: str | None = None
    split: SplitConfig = SplitConfig()
    # A curated schema (schema.pbtxt) to validate against instead of inferring one.
    schema_path: str | None = None
    spans: SpansConfig | None = None
    drift: DriftConfig | None = None
    # CSV of what the deployed model sees (labels may be missing): with it the
    # drift check also compares the new span with it (TFDV skew comparators,
    # the 'drift' thresholds). Relative paths resolve against the config's folder.
    serving_path: str | None = None
    # Raw audio (format 'wav'): clip length and the features computed from it.
    audio: AudioConfig | None = None

    @model_validator(mode="after")
    def _audio_with_wav(self):
        if (self.format == "wav") != (self.audio is not None):
            raise ValueError("format 'wav' and the 'audio' section go together: set both or neither")
        return self

    @model_validator(mode="after")
    def _one_source(self):
        if (self.example is None) == (self.path is None):
            raise ValueError("set exactly one of 'example' (a bundled example) or 'path' (your data)")
        has_span = bool(self.path) and "{SPAN}" in self.path
        if self.spans and not has_span:
            raise ValueError("'spans' needs 'path' with {SPAN} in it, e.g. data/span-{SPAN}/data.csv")
        if has_span and not self.spans:
            raise ValueError("'path' has {SPAN}: add 'spans: {select: latest}' (or a window)")
        if self.drift and not self.spans:
            raise ValueError("'drift' compares spans: set 'spans' too")
        if self.serving_path and not self.drift:
            raise ValueError("'serving_path' is checked with the 'drift' thresholds: set 'drift' too")
        return self


class ModelConfig(_Strict):
    # Import paths ('package.module.function'), so the code runs the same in a
    # Kubeflow image as locally: no module_file wheels.
    preprocessing_fn: str
    run_fn: str
    epochs: int = Field(20, ge=1, le=10_000)
    batch_size: int = Field(32, ge=1, le=65_536)
    learning_rate: float = Field(0.002, gt=0, le=10)
    seed: int = Field(0, ge=0)

    @field_validator("preprocessing_fn", "run_fn")
    @classmethod
    def _import_path(cls, v: str) -> str:
        # 'model.py' parses as a dotted name but is a file: refuse it too.
        if not _IMPORT_PATH.fullmatch(v) or v.endswith(".py"):
            raise ValueError(f"'{v}' is not an import path; write it as 'package.module.function'")
        return v


class FrrAtFarGate(_Strict):
    """Firmware blessing gate on the int8 model's DET curve: FRR at most `max_frr` where FAR is at most `far`."""

    far: float = Field(gt=0, lt=1)
    max_frr: float = Field(ge=0, lt=1)
    # 'average': the curve averaged over keywords at one threshold; 'each': every keyword's own curve.
    over: Literal["average", "each"] = "average"


class KwsConfig(_Strict):
    """Keyword-spotting metrics (tinyml/metrics/kws.py): false accepts and rejects per keyword, DET curves."""

    # Operating point: a clip is accepted as its arg-max class when that class's score reaches it.
    threshold: float = Field(0.5, ge=0, le=1)
    # Names of the classes by index, to name non-keywords (optional).
    class_names: tuple[str, ...] = ()
    # Classes that are not keywords ('unknown', 'silence'): indices or names from class_names.
    non_keywords: tuple[int | str, ...] = ()
    max_frr_at_far: FrrAtFarGate | None = None

    @model_validator(mode="after")
    def _known_names(self):
        if len(set(self.class_names)) != len(self.class_names):
            raise ValueError("class_names: every name must be different")
        unknown = [n for n in self.non_keywords if isinstance(n, str) and n not in self.class_names]
        if unknown:
            raise ValueError(f"non_keywords {unknown} are not in class_names {list(self.class_names)}; "
                             "name classes there or use their indices")
        return self

    def keywords(self, num_classes: int) -> list[int]:
        """The keyword class indices, for a model with `num_classes` classes."""
        if self.class_names and len(self.class_names) != num_classes:
            raise ValueError(f"class_names has {len(self.class_names)} names for {num_classes} classes")
        bad = [i for i in self.non_keywords if isinstance(i, int) and not 0 <= i < num_classes]
        if bad:
            raise ValueError(f"non_keywords {bad} are not class indices 0..{num_classes - 1}")
        excluded = {self.class_names.index(n) if isinstance(n, str) else n for n in self.non_keywords}
        keywords = [c for c in range(num_classes) if c not in excluded]
        if not keywords:
            raise ValueError("non_keywords leaves no keyword")
        return keywords


class EvaluationConfig(_Strict):
    # Lower bounds on overall metrics for a blessing (fractions, 0..1).
    min_accuracy: float = Field(0.5, ge=0, le=1)
    # How far overall accuracy may fall against the latest blessed model
    # (absolute, 0..1) before the candidate is refused.
    max_accuracy_decrease: float = Field(0.01, ge=0, le=1)
    # Slices with fewer examples are reported but not gated on, here and by
    # the converter's float vs int8 check.
    min_slice_examples: int = Field(30, ge=1)
    # With releases: how far accuracy in any slice (with enough examples) may
    # fall against the latest released model on the same eval data.
    max_slice_accuracy_decrease: float | None = Field(None, ge=0, le=1)
    # Keyword-spotting metrics in the converter's report and the run summary, and their gate.
    kws: KwsConfig | None = None


class ReleaseConfig(_Strict):
    """A model that passes every gate becomes a numbered release; the Evaluator's baseline is the latest one."""

    # Release store: a folder or gs://BUCKET/PATH; default <runs root>/releases.
    # Relative paths resolve against the config's folder.
    store: str | None = None

    @field_validator("store")
    @classmethod
    def _local_or_gcs(cls, v: str | None) -> str | None:
        if v is None or "://" not in v:
            return v
        # GCS bucket names: 3-222 characters of a-z 0-9 - _ ., starting and ending with a letter or digit.
        if not _GCS_STORE.fullmatch(v):
            raise ValueError("a release store is a local folder or gs://BUCKET/PATH (a GCS bucket name: "
                             "lowercase letters, digits, '-', '_' and '.')")
        return v.rstrip("/")


class FirmwareConfig(_Strict):
    """The firmware the pipeline releases per target."""

    # Starts every C name in the source package (<prefix>model.tar.gz: kws_ -> kws_invoke), so
    # several models link into one firmware; as `tinyml firmware export --prefix`.
    prefix: str = DEFAULT_PREFIX

    @field_validator("prefix")
    @classmethod
    def _c_prefix(cls, v: str) -> str:
        problem = prefix_problem(v)
        if problem:
            raise ValueError(f"{v!r} {problem[0]}; {problem[1]}")
        return v


class FrontendConfig(_Strict):
    """Audio features as TensorFlow's audio microfrontend op computes them (the op's attributes).

    The same settings drive the op in Transform and the firmware's own C
    frontend, which is bit-identical to the op for every value allowed here.
    """

    sample_rate: int = Field(16000, ge=4000, le=48000, multiple_of=1000)
    window_size_ms: int = Field(30, ge=1, le=100)
    window_step_ms: int = Field(20, ge=1, le=100)
    num_channels: int = Field(40, ge=1, le=128)
    upper_band_limit: float = Field(7500.0, gt=0)
    lower_band_limit: float = Field(125.0, ge=0)
    # Noise reduction: a per-channel running estimate of the noise, subtracted
    # from the signal; both smoothings 0 turn it off.
    smoothing_bits: int = Field(10, ge=0, le=16)
    even_smoothing: float = Field(0.025, ge=0, le=1)
    odd_smoothing: float = Field(0.06, ge=0, le=1)
    min_signal_remaining: float = Field(0.05, ge=0, le=1)
    # Per-channel automatic gain control (PCAN).
    enable_pcan: bool = True
    pcan_strength: float = Field(0.95, gt=0, le=4)
    pcan_offset: float = Field(80.0, gt=0, le=1e6)
    gain_bits: int = Field(21, ge=12, le=24)
    enable_log: bool = True
    scale_shift: int = Field(6, ge=0, le=10)
    out_scale: int = Field(1, ge=1, le=65535)
    # The op can stack neighbouring frames and skip frames; the device emits
    # one frame at a time, so stacking belongs to the model input instead.
    left_context: int = 0
    right_context: int = 0
    frame_stride: int = 1

    @field_validator("left_context", "right_context")
    @classmethod
    def _no_context(cls, v: int) -> int:
        if v != 0:
            raise ValueError("the device emits one frame at a time: set it to 0 and stack frames in the model input")
        return v

    @field_validator("frame_stride")
    @classmethod
    def _every_frame(cls, v: int) -> int:
        if v != 1:
            raise ValueError("the device emits every frame: set it to 1 and lengthen window_step_ms instead")
        return v

    @property
    def window_samples(self) -> int:
        return self.window_size_ms * self.sample_rate // 1000

    @property
    def step_samples(self) -> int:
        return self.window_step_ms * self.sample_rate // 1000

    @model_validator(mode="after")
    def _consistent(self):
        nyquist = self.sample_rate / 2
        if self.upper_band_limit >= nyquist:
            raise ValueError(
                f"upper_band_limit {self.upper_band_limit:g} Hz must be below half the sample rate "
                f"({nyquist:g} Hz), e.g. {nyquist - 100:g}"
            )
        if self.lower_band_limit >= self.upper_band_limit:
            raise ValueError(f"lower_band_limit {self.lower_band_limit:g} Hz must be below upper_band_limit "
                             f"{self.upper_band_limit:g} Hz")
        if self.window_step_ms > self.window_size_ms:
            raise ValueError(f"window_step_ms {self.window_step_ms} must not exceed window_size_ms "
                             f"{self.window_size_ms}: the frames would skip audio")
        if not 4 <= self.window_samples <= 2048:
            raise ValueError(f"window_size_ms {self.window_size_ms} at {self.sample_rate} Hz is "
                             f"{self.window_samples} samples; the frontend supports 4 to 2048")
        # The op shifts by these differences; a negative one is undefined behaviour in its C code.
        correction = self.log_correction_bits
        if self.enable_pcan and self.smoothing_bits < correction:
            raise ValueError(f"smoothing_bits {self.smoothing_bits} must be at least {correction} for a "
                             f"{self.window_samples}-sample window with PCAN on")
        if self.enable_pcan and self.gain_bits < 12 + correction:
            raise ValueError(f"gain_bits {self.gain_bits} must be at least {12 + correction} for a "
                             f"{self.window_samples}-sample window with PCAN on")
        return self

    @property
    def log_correction_bits(self) -> int:
        """The op's scaling correction: log2 of its FFT length (the window rounded up to a power of two) minus 6."""
        return (self.window_samples - 1).bit_length() - 6


class AudioConfig(_Strict):
    """Raw audio in: each clip padded or cropped to clip_ms, then the frontend's features.

    The sample rate is the frontend's: Transform and the firmware compute the
    same features from the same int16 samples.
    """

    clip_ms: int = Field(1000, ge=10, le=60_000)
    frontend: FrontendConfig = FrontendConfig()
    # Each file's label and metadata (data.path is the WAV folder): a regex the
    # whole file name must match, one named group per feature, the label's
    # named as data.label; or a CSV listing (relative to the config's folder)
    # with a 'file' column, the label's column and any metadata columns.
    file_pattern: str | None = None
    listing: str | None = None
    # Metadata per value of `metadata_key` (e.g. speaker -> accent): a JSON
    # object of objects or a CSV with a `metadata_key` column; relative to the config's folder.
    metadata: str | None = None
    metadata_key: str | None = None

    @model_validator(mode="after")
    def _label_rule(self):
        if self.file_pattern is not None and self.listing is not None:
            raise ValueError("set one of 'file_pattern' (a regex on file names) or 'listing' (a CSV), not both")
        if (self.metadata is None) != (self.metadata_key is None):
            raise ValueError("'metadata' and 'metadata_key' go together: set both or neither")
        if self.file_pattern is not None:
            try:
                re.compile(self.file_pattern)
            except re.error as e:
                raise ValueError(f"file_pattern '{self.file_pattern}' is not a regex: {e}") from e
        return self

    @property
    def clip_samples(self) -> int:
        return self.clip_ms * self.frontend.sample_rate // 1000

    @property
    def frames(self) -> int:
        """Feature frames per clip: the op emits one per full window, every step."""
        f = self.frontend
        if self.clip_samples < f.window_samples:
            return 0
        return 1 + (self.clip_samples - f.window_samples) // f.step_samples

    @model_validator(mode="after")
    def _one_frame_at_least(self):
        if self.frames < 1:
            raise ValueError(f"clip_ms {self.clip_ms} is shorter than one frontend window "
                             f"({self.frontend.window_size_ms} ms)")
        return self


def parse_frontend_config(raw: dict, source: str = "<frontend config>") -> FrontendConfig:
    """A FrontendConfig from a mapping; a bad value is a TinymlError naming the field."""
    try:
        return FrontendConfig(**raw)
    except ValidationError as e:
        problems = "\n  ".join(describe_error(err, FrontendConfig) for err in e.errors())
        raise TinymlError(
            f"{source}: invalid audio frontend config:\n  {problems}",
            fix="see FrontendConfig in tinyml/config.py for every field and its range",
        ) from e


def load_audio_config(path: Path) -> AudioConfig:
    """An AudioConfig from a YAML file (clip_ms, frontend: {...}); a bad value is a TinymlError naming the field."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise TinymlError(f"cannot read the audio config {path}: {e}") from e
    if not isinstance(raw, dict):
        raise TinymlError(f"{path}: expected a mapping of audio settings (clip_ms, frontend), "
                          f"got {type(raw).__name__}", fix="see AudioConfig in tinyml/config.py")
    try:
        return AudioConfig(**raw)
    except ValidationError as e:
        problems = "\n  ".join(describe_error(err, AudioConfig) for err in e.errors())
        raise TinymlError(f"{path}: invalid audio config:\n  {problems}",
                          fix=f"edit {path}: the same fields as data.audio of a pipeline config "
                              "(AudioConfig in tinyml/config.py)") from e


class ConverterConfig(_Strict):
    representative_examples: int = Field(200, ge=1, le=100_000)
    # How far accuracy may fall from the float model to the int8 one
    # (absolute, 0..1, like evaluation.max_accuracy_decrease): overall, and in
    # any slice with at least evaluation.min_slice_examples examples.
    max_accuracy_decrease: float = Field(0.01, ge=0, le=1)
    max_slice_accuracy_decrease: float = Field(0.02, ge=0, le=1)
    test_vectors: int = Field(200, ge=1, le=10_000)


class PipelineConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,127}$")
    data: DataConfig
    model: ModelConfig
    evaluation: EvaluationConfig = EvaluationConfig()
    converter: ConverterConfig = ConverterConfig()
    release: ReleaseConfig | None = None
    targets: tuple[str, ...] = ("cortex-m4f",)
    firmware: FirmwareConfig = FirmwareConfig()
    # A YAML file of your own target profiles (same fields as
    # firmware/profiles.yaml), added to the bundled ones or replacing those of
    # the same name. Relative paths resolve against the config's folder.
    profiles: str | None = None
    # Passed to Beam as-is: e.g. --runner=DataflowRunner --project=... for a
    # distributed runner. Empty means Beam's local DirectRunner.
    beam_args: tuple[str, ...] = ()
    # Where this config was read from; relative data paths resolve against it.
    source_dir: str = "."

    @model_validator(mode="after")
    def _known_targets(self):
        from tinyml.profiles import target_profiles

        if not self.targets:
            raise ValueError("'targets': name at least one target profile")
        known = target_profiles(self.user_profiles())
        unknown = [t for t in self.targets if t not in known]
        if unknown:
            where = f" (firmware/profiles.yaml and {self.profiles_file()})" if self.profiles else ""
            raise ValueError(f"'targets': unknown target profile(s) {unknown}; known{where}: {sorted(known)}")
        return self

    @model_validator(mode="after")
    def _kws_classes(self):
        if self.evaluation.kws:
            try:
                self.evaluation.kws.keywords(self.data.num_classes)
            except ValueError as e:
                raise ValueError(f"'evaluation.kws' with data.num_classes {self.data.num_classes}: {e}") from None
        return self

    def profiles_file(self) -> Path | None:
        if not self.profiles:
            return None
        p = Path(self.profiles)
        return p if p.is_absolute() else Path(self.source_dir) / p

    def user_profiles(self) -> dict:
        """The profiles of the 'profiles' file by name (empty without one)."""
        from tinyml.profiles import read_profiles

        return read_profiles(self.profiles_file()) if self.profiles else {}

    def schema_file(self) -> Path | None:
        """The curated schema, if any; relative paths resolve against the config's folder."""
        if not self.data.schema_path:
            return None
        p = Path(self.data.schema_path)
        return p if p.is_absolute() else Path(self.source_dir) / p

    def serving_file(self) -> Path | None:
        if not self.data.serving_path:
            return None
        p = Path(self.data.serving_path)
        return p if p.is_absolute() else Path(self.source_dir) / p

    def data_path(self, root: Path) -> Path:
        """The data location: the bundled example's export folder, or the user's path."""
        if self.data.example:
            return Path(root) / "data" / self.data.example
        p = Path(self.data.path)
        return p if p.is_absolute() else Path(self.source_dir) / p

    def release_store(self, default: Path) -> str:
        """Where releases go: the configured store, or `default` (the runs root's releases folder)."""
        store = self.release.store if self.release else None
        if not store:
            return str(default)
        if "://" in store or Path(store).is_absolute():
            return store
        return str(Path(self.source_dir) / store)


def describe_error(err: dict, model: type[BaseModel]) -> str:
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        parent: type[BaseModel] | None = model
        for part in loc[:-1]:
            ann = parent.model_fields[part].annotation if parent and part in parent.model_fields else None
            # An optional section (`KwsConfig | None`) names its model inside the union.
            models = [a for a in (ann, *get_args(ann)) if isinstance(a, type) and issubclass(a, BaseModel)]
            parent = models[0] if models else None
        allowed = sorted(parent.model_fields) if parent else []
        allowed = [a for a in allowed if a != "source_dir"]
        close = difflib.get_close_matches(loc[-1], allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"field '{field}' is not a known setting{hint} (allowed here: {', '.join(allowed)})"
    if err["type"] == "missing":
        return f"field '{field}' is required"
    return f"field '{field}': {err['msg']} (got {err.get('input')!r})"


# Settings of older configs that changed name or unit: refused with what to write instead.
_RENAMED_TO_FRACTIONS = {"max_accuracy_drop": "max_accuracy_decrease",
                         "max_slice_accuracy_drop": "max_slice_accuracy_decrease"}


def _refuse_old_converter_keys(raw: dict, source: str) -> None:
    converter = raw.get("converter")
    if not isinstance(converter, dict):
        return
    for old, new in _RENAMED_TO_FRACTIONS.items():
        if old in converter:
            value = converter[old]
            example = f"{value / 100:g}" if isinstance(value, (int, float)) else "0.01"
            raise TinymlError(
                f"{source}: converter.{old} was renamed converter.{new} and is a fraction: 1.0 points = 0.01",
                fix=f"in {source}, replace '{old}: {value}' under 'converter' with '{new}: {example}'",
            )
    if "min_slice_examples" in converter:
        raise TinymlError(
            f"{source}: converter.min_slice_examples was removed: the converter uses evaluation.min_slice_examples",
            fix=f"in {source}, delete converter.min_slice_examples and set evaluation.min_slice_examples "
                f"(yours: {converter['min_slice_examples']})",
        )


def parse_config(raw: dict, source: str = "<config>", source_dir: str = ".") -> PipelineConfig:
    if not isinstance(raw, dict):
        raise TinymlError(f"{source}: expected a mapping of settings at the top level, got {type(raw).__name__}")
    _refuse_old_converter_keys(raw, source)
    try:
        return PipelineConfig(**{**raw, "source_dir": source_dir})
    except ValidationError as e:
        problems = "\n  ".join(describe_error(err, PipelineConfig) for err in e.errors())
        raise TinymlError(
            f"{source}: invalid pipeline config:\n  {problems}",
            fix=f"edit {source}; the bundled example {DEFAULT_CONFIG} shows every setting",
        ) from e


def load_config(path: str | Path | None = None, profiles: Path | None = None) -> PipelineConfig:
    """The config at `path` (default: the bundled example); `profiles` replaces its 'profiles' file."""
    path = Path(path) if path else DEFAULT_CONFIG
    if not path.is_file():
        raise TinymlError(f"config file {path} does not exist", fix="pass --config with the path of a YAML config")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise TinymlError(f"{path}: not valid YAML: {e}") from e
    if profiles is not None and isinstance(raw, dict):
        raw = {**raw, "profiles": str(Path(profiles).resolve())}
    return parse_config(raw, source=str(path), source_dir=str(path.resolve().parent))
