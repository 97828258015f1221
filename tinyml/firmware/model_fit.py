"""Model checks that need no op support: every shape fixed ahead of time, and the
tensors fitting the target's RAM. Both fail before anything is compiled, naming the
tensor and the fix (the link would otherwise report only a region overflow)."""
from __future__ import annotations

from tinyml.errors import TinymlError
from tinyml.profiles import Profile
from tinyml.tflite.memory_plan import MemoryPlan
from tinyml.tflite.model import TfliteModel


def check_static_shapes(model: TfliteModel, source: str) -> None:
    """The arena is planned offline, so an input may not have a variable (-1) dimension. A variable
    batch (dimension 0) is run as batch 1, as TFLM runs it; any other would size tensors at run time."""
    for t in model.input_tensors():
        dims = [i for i, d in enumerate(t.shape_signature or ()) if d == -1 and i > 0]
        if dims:
            raise TinymlError(
                f"{source}: input tensor '{t.name}' has a variable-length dimension "
                f"(shape {list(t.shape_signature)}, dimension {', '.join(map(str, dims))} is -1); the firmware "
                "plans every tensor's memory ahead of time and needs fixed shapes",
                fix="give the model a fixed input shape (e.g. tf.keras.Input((49, 40), batch_size=1) instead of "
                    "(None, 40)) and convert again",
            )


def check_ram(model: TfliteModel, plan: MemoryPlan, profile: Profile, source: str) -> None:
    """The tensor arena plus the main stack must fit the target's RAM; names the largest tensor."""
    room = profile.ram_bytes - profile.stack_bytes
    if plan.arena_bytes <= room:
        return
    largest = max((t for t in model.tensors if not t.is_constant), key=lambda t: t.nbytes)
    raise TinymlError(
        f"{source}: its tensor arena needs {plan.arena_bytes} bytes, more than the {room} bytes of RAM "
        f"'{profile.name}' leaves beside its {profile.stack_bytes}-byte stack ({profile.ram_bytes} bytes RAM); "
        f"the largest tensor, '{largest.name}' {list(largest.shape)} {largest.dtype}, alone takes {largest.nbytes}",
        fix=f"shrink the model's largest activations (smaller input, more stride or pooling early, fewer "
            f"channels), or build for a target with more RAM than {profile.ram_bytes} bytes",
    )
