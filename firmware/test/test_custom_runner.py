"""PlatformIO `test_framework = custom` runner for the ped on-target tests.

The test program prints `case NAME: PASS|FAIL` per case and ends with one line
`PED-TESTS: PASS ...` or `PED-TESTS: FAIL ...`. Each case becomes a PlatformIO test case; a
program that ends without the final line (crash, hang cut by a timeout) is an error.
"""

import os
import re
import sys

import click
from platformio.test.result import TestCase, TestStatus
from platformio.test.runners.base import TestRunnerBase
from platformio.test.runners.readers.native import NativeTestOutputReader

CASE_RE = re.compile(r"^case (\S+): (PASS|FAIL)\s*$")
FINAL_RE = re.compile(r"^PED-TESTS: (PASS|FAIL)\b")
TIMEOUT_S = 120


def testing_command(project_dir, env_name, target_name, build_dir):
    """The program (native), QEMU or rp2040js command line (pipeline.firmware_build)."""
    if project_dir not in sys.path:
        sys.path.insert(0, project_dir)
    from pathlib import Path

    from pipeline.firmware_build import emulator_command, get_target

    target = get_target(target_name)
    elf = os.path.join(build_dir, env_name, target.program_name)
    cmd = emulator_command(target, Path(elf))
    return ["timeout", str(TIMEOUT_S), *cmd]  # a hung program fails instead of blocking


class CustomTestRunner(TestRunnerBase):
    def stage_testing(self):
        if self.options.without_testing:
            return None
        env = self.test_suite.env_name
        section = f"env:{env}"
        cmd = testing_command(os.path.dirname(self.project_config.path), env,
                              self.project_config.get(section, "custom_ped_target"),
                              self.project_config.get("platformio", "build_dir"))
        reader = NativeTestOutputReader(self)
        reader.get_testing_command = lambda: cmd
        return reader.begin()

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
        if not self._saw_final and not self.options.without_testing:
            message = "the test program ended without a PED-TESTS line"
            click.secho(message, fg="red", err=True)
            self.test_suite.add_case(TestCase("final_line", TestStatus.ERRORED,
                                              exception=RuntimeError(message)))
