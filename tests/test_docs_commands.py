"""Every command the README and docs show parses with the real command line.

Docs drift: a flag gets renamed (``--save-detections`` became ``--save-dets``) and the
README keeps the old one. Each ``tracker ...``, ``python -m benchmarks ...`` and ``make ...``
line in a fenced code block is parsed here with the real parsers (nothing is run).
Synopsis notation is read as a user would: ``[...]`` is optional text that is kept, and
``A|B`` picks the first alternative.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from benchmarks.__main__ import build_parser as benchmarks_parser
from tracker.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks/README.md"]
_FENCE = re.compile(r"```(?:bash|sh|console|shell)?\n(.*?)```", re.S)
_COMMAND = re.compile(r"^(?:\$ )?(tracker|python -m benchmarks|make)((?: [-a-z].*)?)$")
#: Placeholders of synopsis lines, as a user would fill them in.
_PLACEHOLDERS = {"N": "1"}


def _commands() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        for block in _FENCE.findall(doc.read_text(encoding="utf-8")):
            for line in block.replace("\\\n", " ").splitlines():
                match = _COMMAND.match(line.strip())
                if match:
                    text = match.group(2).split(" # ")[0].split("  #")[0]
                    found.append((doc.relative_to(ROOT).as_posix(), match.group(1), text))
    return found


def _tokens(text: str) -> list[str]:
    words = shlex.split(text.replace("[", " ").replace("]", " "))
    words = [w.split("|")[0] if "|" in w and "://" not in w.split("|")[0] else w for w in words]
    return [_PLACEHOLDERS.get(w, w) for w in words]


COMMANDS = _commands()


def test_the_docs_show_commands() -> None:
    programs = {program for _, program, _ in COMMANDS}
    assert {"tracker", "make"} <= programs and len(COMMANDS) >= 10


@pytest.mark.parametrize(("doc", "program", "text"), COMMANDS, ids=lambda v: str(v)[:60])
def test_documented_command_parses(doc: str, program: str, text: str) -> None:
    tokens = _tokens(text)
    if program == "make":
        targets = re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M)
        unknown = [t for t in tokens if "=" not in t and t not in targets]
        assert not unknown, f"{doc}: `make {text}`: no such target(s) {unknown}"
        return
    parser = benchmarks_parser() if program == "python -m benchmarks" else build_parser()
    try:
        parser.parse_args(tokens)
    except SystemExit as exit_:
        pytest.fail(f"{doc}: `{program} {text}` does not parse (exit {exit_.code})")
