"""PlatformIO pre-script for the real boards on PlatformIO's stock platforms.

Adds to the stock build what boards/pio-platform's builder adds for the offline targets:
the portable core (firmware/src), the board's folder (board.c, entry.cpp, boards/cortexm),
the kernels when present, the model ($PED_MODEL_DIR or the fake demo model), the board
constants from board.toml, a linker map, and the board.toml budget check after linking.
Boards with an Arduino framework own `main`: their env sets `custom_ped_rename_main = yes`,
the app is compiled here with main renamed to ped_main, and entry.cpp calls it from setup().
NOT RUN HERE: the stock platforms need internet to install.
"""

import os
import sys

Import("env")  # noqa: F821 (SCons injects Import)

ROOT = env.subst("$PROJECT_DIR")  # noqa: F821
sys.path.insert(0, ROOT)

from pipeline.boards import load_board  # noqa: E402
from pipeline.errors import PedError  # noqa: E402
from pipeline.firmware_build import FAKE_MODEL_DIR, Target, check_budget, model_dir  # noqa: E402

name = env.GetProjectOption("custom_ped_board")  # noqa: F821
board = load_board(name)
model = model_dir()
build_dir = env.subst("$BUILD_DIR")  # noqa: F821
map_file = os.path.join(build_dir, "firmware.map")

env.Append(  # noqa: F821
    CPPPATH=[os.path.join(ROOT, "firmware", "include"), os.path.join(ROOT, "boards", name),
             os.path.join(ROOT, "boards", "cortexm"), os.path.join(ROOT, "boards", "common"),
             str(model), str(FAKE_MODEL_DIR)],
    CPPDEFINES=[("PED_CPU_HZ", f"{board.clock_hz}u"), ("PED_BOARD_NAME", f'\\"{name}\\"')],
    CFLAGS=["-std=c99", "-Wall", "-Wextra"],
    LINKFLAGS=[f"-Wl,-Map,{map_file}"],
)
parts = [("ped_core", os.path.join(ROOT, "firmware", "src")),
         ("ped_board", os.path.join(ROOT, "boards", name)),
         ("ped_board_common", os.path.join(ROOT, "boards", "common")),
         ("ped_model", str(model))]
if os.path.isdir(os.path.join(ROOT, "firmware", "kernels")):
    parts.append(("ped_kernels", os.path.join(ROOT, "firmware", "kernels")))
for sub, src in parts:
    env.BuildSources(os.path.join(build_dir, sub), src, "+<*.c> +<*.cpp>")  # noqa: F821
if env.GetProjectOption("custom_ped_rename_main", "no") == "yes":  # noqa: F821
    app = env.Clone()  # noqa: F821
    app.Append(CPPDEFINES=[("main", "ped_main")])
    app.BuildSources(os.path.join(build_dir, "ped_app"), os.path.join(ROOT, "firmware", "app"))

ped_target = Target(name=env["PIOENV"], board=name, board_src=name,  # noqa: F821
                cc=env.WhereIs(env.subst("$CC")) or env.subst("$CC"))  # noqa: F821


def budget(target, source, env):  # SCons action signature
    del source, env
    try:
        size = check_budget(ped_target, str(target[0]), map_file)
    except PedError as exc:
        sys.stderr.write(f"error: {exc.problem}\n  fix: {exc.fix}\n")
        raise SystemExit(1) from exc
    print(f"ped budget {name}: flash {size.flash} / {board.flash_bytes} B, "
          f"RAM {size.ram} / {board.ram_bytes} B")


env.AddPostAction("$BUILD_DIR/${PROGNAME}.elf", budget)  # noqa: F821
