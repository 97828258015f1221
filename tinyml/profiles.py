"""Target MCU profiles (firmware/profiles.yaml) as typed, validated data."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tinyml import paths
from tinyml.errors import TinymlError


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

    @property
    def emulated(self) -> bool:
        return self.qemu is not None


@lru_cache(maxsize=None)
def load_profiles(path: Path = paths.PROFILES_FILE) -> dict[str, Profile]:
    """All profiles by name; a malformed file is an error naming the entry and field."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as e:
        raise TinymlError(f"cannot read target profiles {path}: {e}") from e
    profiles = {}
    for name, body in (raw or {}).get("profiles", {}).items():
        try:
            profiles[name] = Profile(name=name, **body)
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise TinymlError(f"{path}: profile '{name}', field '{field}': {first['msg']}") from e
    return profiles


def get_profile(name: str) -> Profile:
    profiles = load_profiles()
    if name not in profiles:
        raise TinymlError(
            f"unknown target profile '{name}'",
            fix=f"use one of: {', '.join(sorted(profiles))} (defined in {paths.PROFILES_FILE})",
        )
    return profiles[name]
