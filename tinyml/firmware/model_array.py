"""The model as a C array, byte-identical to the .tflite file.

The runtime reads weights straight from this array (the generated plan holds
offsets into it), so it is 16-byte aligned and kept const (in flash).
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tinyml.errors import TinymlError

_BYTES_PER_LINE = 16


def _check_symbol(symbol: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", symbol):
        raise TinymlError(f"model array symbol {symbol!r} is not a C identifier",
                          fix="use letters, digits and underscores, not starting with a digit")


def model_array_text(tflite: bytes, symbol: str = "tml_model_data") -> tuple[str, str]:
    """(C source, header) text for the model array."""
    _check_symbol(symbol)
    if not tflite:
        raise TinymlError("the model is empty (0 bytes)", fix="pass the bytes of a .tflite file")
    digest = hashlib.sha256(tflite).hexdigest()
    guard = f"{symbol.upper()}_H_"
    stamp = f"/* {len(tflite)} bytes, sha256 {digest} */\n"
    header = (
        f"{stamp}#ifndef {guard}\n#define {guard}\n\n"
        f"extern const unsigned char {symbol}[];\n"
        f"extern const unsigned int {symbol}_len;\n\n"
        f"#endif /* {guard} */\n"
    )
    source = (
        f"{stamp}#include \"{symbol_header_name(symbol)}\"\n\n"
        # Flatbuffer fields and int32 biases are read in place: align like TFLM expects.
        f"__attribute__((aligned(16))) const unsigned char {symbol}[] = {{\n"
        + hex_rows(tflite)
        + f"\n}};\nconst unsigned int {symbol}_len = {len(tflite)}u;\n"
    )
    return source, header


def hex_rows(data: bytes) -> str:
    """The bytes as C initializer rows, 16 per line, each line ending in a comma."""
    return "\n".join(
        "  " + ", ".join(f"0x{b:02x}" for b in data[i:i + _BYTES_PER_LINE]) + ","
        for i in range(0, len(data), _BYTES_PER_LINE)
    )


def symbol_header_name(symbol: str) -> str:
    return "model_data.h" if symbol == "tml_model_data" else f"{symbol}.h"


def write_model_array(tflite: bytes, out_dir, symbol: str = "tml_model_data") -> tuple[Path, Path]:
    """Write model_data.c / model_data.h (or <symbol>.c/.h for other symbols)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source, header = model_array_text(bytes(tflite), symbol)
    h_path = out_dir / symbol_header_name(symbol)
    c_path = h_path.with_suffix(".c")
    h_path.write_text(header)
    c_path.write_text(source)
    return c_path, h_path
