"""Where the project's non-Python parts live (the repo is installed editable)."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIRMWARE_DIR = REPO_ROOT / "firmware"
PROFILES_FILE = REPO_ROOT / "firmware" / "profiles.yaml"
SUPPORTED_OPS_FILE = REPO_ROOT / "firmware" / "supported_ops.txt"
EXAMPLES_DIR = REPO_ROOT / "pipelines" / "examples"
