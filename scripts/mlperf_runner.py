"""Run the unmodified MLPerf Tiny runner (mlcommons/tiny, benchmark/runner/main.py) against a
serial port it cannot discover by itself: the `native` firmware's pty or QEMU's `-serial pty`.

The runner finds its DUT by USB vendor and product id (pyserial's `list_ports.comports()` and
the `usb:` entry of its devices yaml); a pseudo-terminal has no USB ids. This launcher adds the
given port to pyserial's port list with the ids of the `devices_ped.yaml` that
`ped export mlperf` writes (1209:0001, pid.codes' test id), then runs the runner's main.py in
its own folder with the remaining arguments. Nothing of the runner is changed or copied.

    python scripts/mlperf_runner.py --runner ~/tiny/benchmark/runner --port /dev/pts/5 -- \\
        --dataset_path build/digits/mlperf --device_list build/digits/mlperf/devices_ped.yaml \\
        --test_script build/digits/mlperf/tests_accuracy.yaml --mode a

A real board needs no launcher: put its USB ids in the devices yaml and run main.py itself.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from pathlib import Path

PED_VID, PED_PID = 0x1209, 0x0001  # the ids devices_ped.yaml names


def _absolute(arg: str) -> str:
    """A path argument (`PATH` or `--flag=PATH`) made absolute; anything else as given."""
    if os.path.exists(arg):
        return os.path.abspath(arg)
    key, sep, value = arg.partition("=")
    return f"{key}={os.path.abspath(value)}" if sep and os.path.exists(value) else arg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runner", type=Path, required=True,
                    help="the runner's folder (tiny/benchmark/runner, holding main.py)")
    ap.add_argument("--port", required=True, help="the DUT's serial device, e.g. /dev/pts/5")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="-- then main.py's arguments")
    a = ap.parse_args()
    main_py = a.runner.resolve() / "main.py"
    if not main_py.is_file():
        sys.exit(f"error: no main.py in {a.runner}\n  fix: pass --runner tiny/benchmark/runner")
    if not os.path.exists(a.port):
        sys.exit(f"error: no serial device {a.port}\n  fix: start the firmware first; it "
                 "prints its port (`ped native: serial on /dev/pts/N`)")
    try:
        from serial.tools import list_ports
        from serial.tools.list_ports_common import ListPortInfo
    except ImportError:
        sys.exit("error: pyserial is missing\n  fix: install the runner's requirements "
                 "(pyserial, pyyaml, numpy, scikit-learn, matplotlib, pyusb)")

    port = ListPortInfo(a.port, skip_link_detection=True)
    port.vid, port.pid, port.description = PED_VID, PED_PID, "ped DUT (pseudo-terminal)"
    stock = list_ports.comports

    def comports(include_links: bool = False):
        return [*stock(include_links), port]

    list_ports.comports = comports
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    # the runner's own paths are relative to its folder; ours are made absolute first
    args = [_absolute(v) for v in args]
    os.chdir(main_py.parent)
    sys.path.insert(0, str(main_py.parent))
    sys.argv = [str(main_py), *args]
    runpy.run_path(str(main_py), run_name="__main__")


if __name__ == "__main__":
    main()
