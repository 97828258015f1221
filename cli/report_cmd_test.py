"""`tinyml report` on a runs root written by the run report's own code; the browser-side checks of
the report and of `tinyml ui` on a real run: tests/test_pipeline_e2e.py."""
import pytest
from click.testing import CliRunner

from cli.main import cli, main
from tinyml.runs.layout import RunsLayout
from tinyml.runs.run_page_testing import PIPELINE, assembled_run


def test_report_rewrites_a_runs_html_and_names_an_unknown_run(tmp_path, capsys):
    assembled_run(tmp_path, "20260101-000000-001")
    html = RunsLayout(tmp_path).html_report_path(PIPELINE, "20260101-000000-001")
    assert not html.exists()
    main(["report", "20260101-000000-001", "--root", str(tmp_path)])
    assert f"wrote {html}" in capsys.readouterr().out
    assert "20260101-000000-001" in html.read_text()

    with pytest.raises(SystemExit) as exited:
        main(["report", "nope", "--root", str(tmp_path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "no run 'nope' with a summary under" in err and "(recent: 20260101-000000-001)" in err
    assert f"fix: list the runs with `tinyml runs --root {tmp_path}`" in err


def test_ui_help_says_it_serves_on_loopback_only():
    out = CliRunner().invoke(cli, ["ui", "--help"]).output
    assert "127.0.0.1" in out and "Read-only" in out
