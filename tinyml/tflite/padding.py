"""TFLite's SAME/VALID padding rule, shared by the memory plan and the kernels' constants."""


def padding(mode: str, in_size: int, filter_size: int, stride: int, dilation: int, out_size: int) -> int:
    """Leading padding for SAME/VALID (TFLite puts the odd extra pixel at the end)."""
    effective = (filter_size - 1) * dilation + 1
    total = max((out_size - 1) * stride + effective - in_size, 0)
    return total // 2 if mode == "SAME" else 0
