"""The one error type users see.

Every refusal in the pipeline raises `PedError(problem, fix)`. The CLI prints it as two lines
(the problem, then the fix) with no traceback unless `--debug` is given.
"""

from __future__ import annotations


class PedError(Exception):
    """A problem the user can act on: `problem` says what is wrong, `fix` what to do."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem} (fix: {self.fix})" if self.fix else self.problem
