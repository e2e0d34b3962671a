"""Progress display: one rich console, and a Keras callback drawing one bar per fit.

Keras is imported lazily so that commands that do not train start fast.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True, highlight=False, soft_wrap=True,
                  width=None if sys.stderr.isatty() else 140)


def epoch_bar(title: str, epochs: int):
    """A Keras callback: one progress bar over epochs with loss and validation accuracy."""
    import keras

    class EpochBar(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), console=console)
            self.progress.start()
            self.task = self.progress.add_task(title, total=epochs, stats="")

        def on_epoch_end(self, epoch, logs=None):
            stats = " ".join(f"{k}={v:.3f}" for k, v in (logs or {}).items()
                             if k in ("loss", "val_loss", "val_accuracy"))
            self.progress.update(self.task, completed=epoch + 1, stats=stats)

        def on_train_end(self, logs=None):
            self.progress.update(self.task, total=self.progress.tasks[0].completed)
            self.progress.stop()

    return EpochBar()
