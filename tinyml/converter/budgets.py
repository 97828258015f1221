"""Does the model fit a target? Flash and RAM against the target profile's budgets.

flash = model array + runtime code; RAM = tensor arena (the offline plan the
firmware uses) + main stack (from the profile) + runtime static data. The
runtime's share is an estimate until the firmware builder measures the real
image: it links the same kernels, so it is sized per distinct op.
"""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from tinyml.profiles import Profile


class RuntimeFootprint(BaseModel):
    """Estimated size of the on-device runtime; conservative so a 'fits' verdict holds after linking."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Vector table, startup, newlib-nano pieces, the invoke loop and I/O copies.
    base_flash_bytes: int = Field(12 * 1024, ge=0)
    # One int8 reference kernel (plus its SIMD path where the core has one).
    flash_bytes_per_op: int = Field(2 * 1024, ge=0)
    # .data/.bss of the runtime and libc besides the arena and the stack.
    static_ram_bytes: int = Field(1024, ge=0)


@dataclass(frozen=True)
class TargetVerdict:
    target: str
    flash_bytes: int
    ram_bytes: int
    flash_budget: int
    ram_budget: int
    messages: tuple[str, ...]

    @property
    def fits(self) -> bool:
        return self.flash_bytes <= self.flash_budget and self.ram_bytes <= self.ram_budget

    def to_dict(self) -> dict:
        return {"flash_bytes": self.flash_bytes, "ram_bytes": self.ram_bytes, "flash_budget": self.flash_budget,
                "ram_budget": self.ram_budget, "fits": self.fits, "messages": list(self.messages)}


def check_target(profile: Profile, *, model_bytes: int, arena_bytes: int, num_op_kinds: int,
                 footprint: RuntimeFootprint = RuntimeFootprint()) -> TargetVerdict:
    runtime_flash = footprint.base_flash_bytes + footprint.flash_bytes_per_op * num_op_kinds
    flash = model_bytes + runtime_flash
    ram = arena_bytes + profile.stack_bytes + footprint.static_ram_bytes
    messages = []
    if flash > profile.flash_bytes:
        messages.append(
            f"{profile.name}: flash {flash} bytes (model {model_bytes} + runtime estimate {runtime_flash}) exceeds "
            f"the {profile.flash_bytes}-byte flash budget by {flash - profile.flash_bytes} bytes")
    if ram > profile.ram_bytes:
        messages.append(
            f"{profile.name}: RAM {ram} bytes (arena {arena_bytes} + stack {profile.stack_bytes} + runtime "
            f"{footprint.static_ram_bytes}) exceeds the {profile.ram_bytes}-byte RAM budget by "
            f"{ram - profile.ram_bytes} bytes")
    return TargetVerdict(profile.name, flash, ram, profile.flash_bytes, profile.ram_bytes, tuple(messages))
