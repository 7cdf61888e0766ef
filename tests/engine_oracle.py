"""The engine's own verdict on query texts, asked in a child process that may crash.

One child answers many queries over a pipe (starting a process per query would cost more than
the queries), and a fresh one replaces it when a query kills it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

_CHILD = r"""
import json, sys
import pyoxigraph as ox
store = ox.Store()
for line in sys.stdin:
    case = json.loads(line)
    out = {}
    try:
        result = store.query(case["q"], base_iri=case["base"], prefixes=case["prefixes"])
        if isinstance(result, ox.QueryBoolean):
            out["form"] = "ASK"
        elif isinstance(result, ox.QueryTriples):
            out["form"] = "GRAPH"
            if case["run"]:
                list(result)
        else:
            out["form"] = "SELECT"
            if case["run"]:
                list(result)
        out["verdict"] = "ok"
    except SyntaxError as exc:
        out["verdict"] = "syntax"
        out["message"] = str(exc)
    except Exception as exc:  # evaluation errors (an unknown function …): the text parsed
        out["verdict"] = "ok"
        out["form"] = out.get("form", "?")
        out["message"] = f"{type(exc).__name__}: {exc}"
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"""


@dataclass(frozen=True)
class Verdict:
    verdict: str
    """ok (the engine parsed it), syntax (it refused it) or crash (it killed the process)."""
    form: str = ""
    """ASK, SELECT or GRAPH (CONSTRUCT and DESCRIBE) when it parsed."""
    message: str = ""


class EngineOracle:
    def __init__(self, *, isolated: bool = False) -> None:
        """``isolated``: run the engine with no network at all (a network namespace of its own),
        where the system allows it — for suites whose SERVICE IRIs name real hosts."""
        self.command = [sys.executable, "-c", _CHILD]
        if isolated and shutil.which("unshare"):
            probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
            if probe.returncode == 0:
                self.command = ["unshare", "-n", *self.command]
        self.isolated = self.command[0] == "unshare"
        self._child: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        if self._child is None or self._child.poll() is not None:
            self._child = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                errors="surrogatepass",
            )
        return self._child

    def ask(
        self,
        query: str,
        *,
        base: str | None,
        prefixes: dict[str, str] | None = None,
        run: bool = False,
    ) -> Verdict:
        child = self._start()
        assert child.stdin is not None and child.stdout is not None
        case: dict[str, Any] = {"q": query, "base": base, "prefixes": prefixes or {}, "run": run}
        try:
            child.stdin.write(json.dumps(case) + "\n")
            child.stdin.flush()
            line = child.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            child.wait()
            self._child = None
            return Verdict("crash")
        answer = json.loads(line)
        return Verdict(answer["verdict"], answer.get("form", ""), answer.get("message", ""))

    def close(self) -> None:
        if self._child is not None:
            if self._child.stdin is not None:
                self._child.stdin.close()
            self._child.wait(timeout=10)
            self._child = None
