"""Importing possdk and printing through python-escpos leave the host's logging and stdout alone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import logging, os, sys
    root = logging.getLogger()
    assert root.handlers == []
    root.setLevel(logging.ERROR)
    stdout = sys.stdout

    import possdk
    from possdk.drivers import DeviceSpec
    from possdk.drivers._escpos import EscposPrinter
    from possdk.drivers._layout import Barcode, QrCode, ReceiptDocument, TextLine, Cut
    assert "escpos" not in sys.modules, "import possdk must not import python-escpos"

    path = os.path.join(sys.argv[1], "printer.bin")
    printer = EscposPrinter(DeviceSpec.parse("receipt_printer", "escpos+file://" + path))
    doc = ReceiptDocument([TextLine("Чек"), Barcode("4006381333931"), Barcode("till-1/1"),
                           QrCode("https://example.com/1"), Cut()], width=32)
    with printer:
        printer.print_document(doc)
        printer.kick_drawer(2)
    assert "escpos" in sys.modules
    assert root.handlers == [], root.handlers
    assert root.level == logging.ERROR
    assert sys.stdout is stdout
    assert "ESCPOS_CAPABILITIES_PICKLE_DIR" not in os.environ
    data = open(path, "rb").read()
    assert b"\\x1dk" in data and b"\\x1bp" in data
    logging.getLogger("escpos").info("nothing configured: no output")
    print("done")
    """
)


def test_import_and_print_leave_logging_and_stdout_untouched(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("ESCPOS_CAPABILITIES_PICKLE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "done\n"  # no "Using hardware barcode renderer"
    assert done.stderr == ""
    pickles = list((tmp_path / "cache" / "possdk" / "escpos").glob("*.capabilities.pickle"))
    assert len(pickles) == 1  # python-escpos's cache went to possdk's cache directory
