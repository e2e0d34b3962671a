"""PlatformIO `test_framework = custom` runner for the ped on-target tests.

The test program prints `case NAME: PASS|FAIL` per case and ends with one line
`PED-TESTS: PASS ...` or `PED-TESTS: FAIL ...`. Each case becomes a PlatformIO test case; a
program that ends without the final line (crash, hang cut by a timeout) is an error.
"""

import re

from platformio.test.result import TestCase, TestStatus
from platformio.test.runners.base import TestRunnerBase

CASE_RE = re.compile(r"^case (\S+): (PASS|FAIL)\s*$")
FINAL_RE = re.compile(r"^PED-TESTS: (PASS|FAIL)\b")


class CustomTestRunner(TestRunnerBase):
    def setup(self):
        self._failures = []
        self._saw_final = False

    def on_testing_line_output(self, line):
        super().on_testing_line_output(line)
        text = line.strip()
        if text.startswith("check failed"):
            self._failures.append(text)
            return
        m = CASE_RE.match(text)
        if m:
            status = TestStatus.PASSED if m.group(2) == "PASS" else TestStatus.FAILED
            message = "\n".join(self._failures) if self._failures else None
            self._failures = []
            self.test_suite.add_case(TestCase(m.group(1), status, message=message))
            return
        if FINAL_RE.match(text):
            self._saw_final = True
            self.test_suite.on_finish()

    def teardown(self):
        if not self._saw_final:
            self.test_suite.add_case(TestCase(
                "final_line", TestStatus.ERRORED,
                exception=RuntimeError("the test program ended without a PED-TESTS line")))
