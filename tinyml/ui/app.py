"""`tinyml ui`: the runs root in a browser (Starlette, Jinja2 templates, served by uvicorn on
127.0.0.1). Read-only: pages are rendered from what is on disk and nothing is written under
the root; a firmware file is served only after the same sha256 checks as `tinyml firmware pull`
pass, on a copy in a temporary folder."""
from __future__ import annotations

import tempfile
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tinyml.errors import TinymlError
from tinyml.firmware.manifest import read_manifest
from tinyml.releases.store import ReleaseStore, Source, pipelines_in
from tinyml.runs.html_report import environment as report_environment, render
from tinyml.runs.layout import RunsLayout
from tinyml.runs.listing import run_rows
from tinyml.runs.run_page import gather
from tinyml.ui.comparison import comparison

RUN_LIMIT = 50  # newest runs per pipeline on the list


def _environment() -> jinja2.Environment:
    # The UI's own pages beside the report's templates (base.html is shared).
    env = report_environment().overlay(loader=jinja2.ChoiceLoader([
        jinja2.PackageLoader("tinyml.ui", "templates"), report_environment().loader,
    ]))
    return env


def _verdicts(row: dict) -> dict[str, str]:
    """{target: 'verified' | 'built' | 'verification failed' | 'unreadable'} from each target's manifest."""
    verdicts = {}
    for target, folder in row["firmware"].items():
        try:
            passed = read_manifest(Path(folder)).verification.passed
        except TinymlError:
            verdicts[target] = "unreadable"
            continue
        verdicts[target] = {True: "verified", False: "verification failed", None: "built"}[passed]
    return verdicts


def _verified_file(source: Source, name: str) -> Response:
    """One file of a firmware folder, served only when every sha256 of the folder checks out."""
    with tempfile.TemporaryDirectory(prefix="tinyml-ui-") as tmp:
        try:
            files = source.fetch_verified(Path(tmp) / source.target)
        except TinymlError as e:
            raise HTTPException(409, f"not served: {e}") from e
        if name not in files:
            raise HTTPException(404, f"{source.where} has no file {name!r} (it has: {', '.join(sorted(files))})")
        body = (Path(tmp) / source.target / name).read_bytes()
    return Response(body, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Checksum-SHA256": files[name]["sha256"],
    })


def create_app(root: Path, store: str | None = None) -> Starlette:
    layout = RunsLayout(Path(root).resolve())
    store = store or str(layout.releases_dir)
    env = _environment()

    def page(template: str, status: int = 200, **values) -> HTMLResponse:
        html = env.get_template(template).render(ui=True, root=layout.root, **values)
        return HTMLResponse(html, status_code=status)

    def find(pipeline: str, run_id: str):
        # Only runs listed under the root: a name like '..' must not reach outside it.
        if layout.summary_path(pipeline, run_id) not in layout.summary_paths():
            raise HTTPException(404, f"no run {run_id!r} of pipeline {pipeline!r} with a summary under {layout.root}")
        try:
            return gather(layout, pipeline, run_id)
        except TinymlError as e:
            raise HTTPException(500, str(e)) from e

    async def runs(request: Request) -> HTMLResponse:
        rows = run_rows(layout.root, limit=RUN_LIMIT) if layout.metadata_dir.is_dir() else []
        for row in rows:
            row["verdicts"] = _verdicts(row)
            row["has_report"] = layout.summary_path(row["pipeline"], row["run_id"]).is_file()
        return page("runs.html", rows=rows)

    async def report(request: Request) -> HTMLResponse:
        found = find(request.path_params["pipeline"], request.path_params["run_id"])
        return HTMLResponse(render(found, ui=True))

    async def run_file(request: Request) -> Response:
        p = request.path_params
        found = find(p["pipeline"], p["run_id"])
        firmware = found.summary.get("firmware", {}).get(p["target"])
        if firmware is None:
            raise HTTPException(404, f"run {p['run_id']} has no firmware for target {p['target']!r}")
        return _verified_file(Source(p["target"], Path(firmware["directory"])), p["name"])

    async def compare(request: Request) -> HTMLResponse:
        chosen = [request.query_params.get(k) for k in ("a", "b")]
        rows = run_rows(layout.root, limit=RUN_LIMIT) if layout.metadata_dir.is_dir() else []
        pages = [find(*c.split("/", 1)) for c in chosen if c and "/" in c]
        return page("compare.html", rows=[r for r in rows if layout.summary_path(r["pipeline"], r["run_id"]).is_file()],
                    chosen=chosen, pages=pages, comparison=comparison(*pages) if len(pages) == 2 else None)

    async def releases(request: Request) -> HTMLResponse:
        try:
            found = [ReleaseStore(store, name) for name in pipelines_in(store)]
            records = [(s.pipeline, s.get(v)) for s in found for v in reversed(s.versions())]
        except TinymlError as e:
            return page("message.html", 500, title="release store unreadable", message=str(e))
        return page("releases.html", releases=records, store=store)

    async def release_file(request: Request) -> Response:
        p = request.path_params
        if p["pipeline"] not in pipelines_in(store):
            raise HTTPException(404, f"no releases of pipeline {p['pipeline']!r} in {store}")
        try:
            release = ReleaseStore(store, p["pipeline"]).get(int(p["version"]))
        except (TinymlError, ValueError) as e:
            raise HTTPException(404, str(e)) from e
        source = next((s for s in release.sources() if s.target == p["target"]), None)
        if source is None:
            raise HTTPException(404, f"release {release.version} has no firmware for target {p['target']!r}")
        return _verified_file(source, p["name"])

    async def error(request: Request, exc: HTTPException) -> HTMLResponse:
        title = {404: "not found", 409: "checksum check failed"}.get(exc.status_code, "error")
        return page("message.html", exc.status_code, title=title, message=exc.detail)

    return Starlette(routes=[
        Route("/", runs),
        Route("/runs/{pipeline}/{run_id}", report),
        Route("/runs/{pipeline}/{run_id}/firmware/{target}/{name}", run_file),
        Route("/compare", compare),
        Route("/releases", releases),
        Route("/releases/{pipeline}/{version}/{target}/{name}", release_file),
    ], exception_handlers={HTTPException: error})
