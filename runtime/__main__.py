import logging
import os
import sys

from runtime.cli.main import main

code = main()
if code == 2:
    # Bad input, refused before the kiosk ran: the error line is printed. Leave without the interpreter's
    # finalisation, where a native library's worker threads (onnxruntime's, LiteRT's) can abort the
    # process ("terminate called without an active exception", exit -6 instead of 2: seen once in CI).
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(2)
sys.exit(code)
