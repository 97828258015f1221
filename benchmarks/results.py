"""Where a benchmark's numbers go: JSON at --out and its plot beside it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable


def write(out: Path, results: dict, draw: Callable[[Path], None]) -> None:
    """`results` as JSON at `out`, the plot `draw` makes at the same name with .png."""
    out.write_text(json.dumps(results, indent=2) + "\n")
    png = out.with_suffix(".png")
    draw(png)
    print(f"wrote {out} and {png}")
