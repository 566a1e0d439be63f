import logging
import os
import sys
import threading

from runtime.cli.main import main


def _leave(code: int) -> None:
    """Exit with `code`. A thread still running at this point may be inside a native library (a voice's
    or recogniser's onnxruntime / CTranslate2 call): Python 3.11 ends such a thread during finalisation
    with pthread_exit, which aborts the process through C++ frames ("terminate called without an active
    exception", exit -6 instead of the kiosk's code). The kiosk stops its own threads before `main`
    returns (runtime/composition/app.py closes every stage); one left over is named in the log, and
    the process then leaves without finalisation, its report and log already written and flushed.
    Bad input (2) is refused before any thread exists and leaves the same way."""
    leftover = [t.name for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()
                and not isinstance(t, threading._DummyThread)]   # a thread Python did not start (PortAudio's)
    if leftover or code == 2:
        if leftover:
            logging.getLogger("runtime").warning("threads still running at exit: %s", ", ".join(leftover))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


_leave(main())
