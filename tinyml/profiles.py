"""Target MCU profiles (firmware/profiles.yaml) as typed, validated data."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tinyml import paths
from tinyml.errors import TinymlError


@dataclass(frozen=True)
class BoardMemory:
    """What the emulated board has (far more than the real parts the profiles budget for)."""

    flash_bytes: int
    ram_bytes: int


# The emulated boards' memories (platform notes); only the verification
# harness, which never ships, is linked against these.
BOARD_MEMORY = {
    "mps2-an385": BoardMemory(4 << 20, 4 << 20),
    "mps2-an386": BoardMemory(4 << 20, 4 << 20),
    "mps2-an500": BoardMemory(4 << 20, 4 << 20),
    "mps2-an505": BoardMemory(4 << 20, 4 << 20),
    "netduinoplus2": BoardMemory(1 << 20, 128 << 10),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MemoryMap(_Strict):
    flash_origin: int = Field(ge=0)
    ram_origin: int = Field(ge=0)


class QemuBoard(_Strict):
    machine: str
    # SysTick runs at this rate under `-icount shift=0`; one tick is
    # `instructions_per_tick` emulated instructions (platform notes).
    systick_hz: int = Field(gt=0)
    instructions_per_tick: float = Field(gt=0)
    console: str = "semihosting"

    @field_validator("machine")
    @classmethod
    def _supported_machine(cls, v: str) -> str:
        if v not in BOARD_MEMORY:
            raise ValueError(f"'{v}' is not a QEMU machine the firmware runs on; use one of: "
                             f"{', '.join(sorted(BOARD_MEMORY))} (or drop 'qemu' for a compile-only part)")
        return v


class Profile(_Strict):
    name: str
    description: str
    core: str
    cflags: tuple[str, ...]
    dsp_simd: bool
    flash_bytes: int = Field(gt=0)
    ram_bytes: int = Field(gt=0)
    clock_hz: int = Field(gt=0)
    stack_bytes: int = Field(gt=0)
    memory: MemoryMap
    qemu: QemuBoard | None = None
    # External interrupt lines (vector table entries after the 16 system
    # ones). Set, it generates the start-up's target.h, so a profile needs no
    # firmware/targets/<name>/ folder; unset, that folder's target.h is used.
    irqs: int | None = Field(None, ge=1, le=480)

    @property
    def emulated(self) -> bool:
        return self.qemu is not None


def _read_yaml(path: Path) -> dict:
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except OSError as e:
        raise TinymlError(f"cannot read target profiles {path}: {e}",
                          fix="pass the path of an existing YAML file") from e
    except yaml.YAMLError as e:
        raise TinymlError(f"{path}: not valid YAML: {e}", fix=f"fix the YAML syntax of {path}") from e
    if not isinstance(raw, dict) or set(raw) != {"profiles"} or not isinstance(raw["profiles"], dict):
        found = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise TinymlError(
            f"{path}: expected one top-level key 'profiles' holding a mapping of profiles by name, found {found}",
            fix=f"write {path} as `profiles: {{my-board: {{description: ..., flash_bytes: ..., ...}}}}` "
                f"(see {paths.PROFILES_FILE})",
        )
    return raw["profiles"]


def read_profiles(path: Path) -> dict[str, Profile]:
    """The profiles of one YAML file by name; an error names the file, the profile and the field."""
    from tinyml.config import describe_error

    profiles = {}
    for name, body in _read_yaml(path).items():
        if not isinstance(body, dict):
            raise TinymlError(f"{path}: profile '{name}' is {type(body).__name__}, not a mapping of fields",
                              fix=f"give '{name}' its fields (see {paths.PROFILES_FILE})")
        try:
            profiles[str(name)] = Profile(**{**body, "name": str(name)})
        except ValidationError as e:
            problems = "\n  ".join(describe_error(err, Profile) for err in e.errors())
            raise TinymlError(f"{path}: profile '{name}' is invalid:\n  {problems}",
                              fix=f"edit {path}; the header of {paths.PROFILES_FILE} describes every field") from e
    return profiles


@lru_cache(maxsize=None)
def load_profiles(path: Path = paths.PROFILES_FILE) -> dict[str, Profile]:
    """The bundled profiles (firmware/profiles.yaml) by name."""
    return read_profiles(path)


def target_profiles(user: Mapping[str, Profile] | None = None) -> dict[str, Profile]:
    """The bundled profiles with the user's added, or replacing bundled ones of the same name."""
    return {**load_profiles(), **(user or {})}


def overridden(user: Mapping[str, Profile]) -> list[str]:
    """Names of bundled profiles the user's profiles replace."""
    return sorted(set(user) & set(load_profiles()))


def get_profile(name: str, user: Mapping[str, Profile] | None = None) -> Profile:
    profiles = target_profiles(user)
    if name not in profiles:
        raise TinymlError(
            f"unknown target profile '{name}'",
            fix=f"use one of: {', '.join(sorted(profiles))} (defined in {paths.PROFILES_FILE}"
                f"{' and your profiles file' if user else ''}), or describe your part in a profiles file "
                f"(--profiles FILE, or 'profiles:' in the pipeline config)",
        )
    return profiles[name]


def profiles_to_json(user: Mapping[str, Profile]) -> str:
    """The user's profiles as JSON, for a component's execution property (no file needed where it runs)."""
    return json.dumps({name: p.model_dump(mode="json") for name, p in sorted(user.items())}, sort_keys=True)


def profiles_from_json(text: str | None) -> dict[str, Profile]:
    return {name: Profile(**body) for name, body in json.loads(text or "{}").items()}
