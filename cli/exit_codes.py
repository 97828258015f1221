"""The exit statuses of the commands, shown in each command's --help and in the README.

0 is success, 1 a verdict of "no" from a command that otherwise worked, 2 bad
input or a failed step (TinymlError and click's usage errors), 130 Ctrl-C.
"""
from __future__ import annotations

OK, NO, ERROR, ABORTED = 0, 1, 2, 130

_ERROR = "bad input or a failed step; the message names the file or field and the fix"

# command -> {status: meaning}; cli/exit_codes_test.py checks these against the README and the real statuses.
CODES: dict[str, dict[int, str]] = {
    "run": {OK: "the run succeeded", NO: "the run failed or was interrupted", ERROR: _ERROR},
    "runs": {OK: "listed", ERROR: _ERROR},
    "releases": {OK: "listed", ERROR: _ERROR},
    "convert": {OK: "blessed for at least one target", NO: "not blessed (accuracy, TFLM check or no target fits)",
                ERROR: _ERROR},
    "inspect": {OK: "the model fits every target checked",
                NO: "it does not fit, or cannot run on (not full int8, unsupported op), a target", ERROR: _ERROR},
    "firmware build": {OK: "built, within budget and verified in QEMU", ERROR: _ERROR},
    "firmware export": {OK: "exported, within budget", ERROR: _ERROR},
    "firmware run": {OK: "the firmware ran", ERROR: _ERROR},
    "firmware eval": {OK: "evaluated: accuracy, FAR and FRR printed", ERROR: _ERROR},
    "firmware pull": {OK: "pulled, every sha256 checked", ERROR: _ERROR},
    "compile": {OK: "compiled", ERROR: _ERROR},
    "submit": {OK: "submitted (with --wait: the run succeeded)", NO: "with --wait: the run did not succeed",
               ERROR: _ERROR},
    "schedule": {OK: "done", ERROR: _ERROR},
    "report": {OK: "written", ERROR: _ERROR},
    "ui": {OK: "served until Ctrl-C", ERROR: _ERROR},
}


def epilog(command: str) -> str:
    # \b keeps click from re-wrapping the lines into one paragraph.
    lines = [f"  {code:>3}  {meaning}" for code, meaning in (*CODES[command].items(), (ABORTED, "interrupted (Ctrl-C)"))]
    return "\b\nExit status:\n" + "\n".join(lines)
