"""The ``runspine`` Jupyter kernel: ipykernel, without its plain-TCP warning.

Every Jupyter client (papermill, nbclient, nbconvert, nbmake, JupyterLab) starts a kernel
with jupyter_client's defaults: TCP on 127.0.0.1, and no CurveZMQ keys
(``KernelManager.transport_encryption`` is ``"disabled"`` unless a client is configured
otherwise; the transport and the keys are the client's choice, written into the
connection file before the kernel starts). ipykernel 7 then logs, on every start::

    [IPKernelApp] WARNING | Kernel is running over TCP without encryption. ...

The kernel cannot change that (it binds what the connection file says), and a CI log or
papermill's output is not where it can be acted on; this launcher drops that one record
and starts ipykernel exactly as ``python -m ipykernel_launcher`` does. Every other log
record is kept. The README's "With the tools you already use" says how to get
encryption on a shared machine.

Registered by ``tools/bootstrap.py`` as the kernel spec's command
(``python -m runspine.notebook.kernel -f {connection_file}``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

PLAIN_TCP = "Kernel is running over TCP without encryption"


class DropPlainTcpWarning(logging.Filter):
    """Drop ipykernel's plain-TCP warning; keep everything else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(PLAIN_TCP)


def main() -> None:
    # as ipykernel_launcher: no working directory on sys.path while ipykernel loads
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    from ipykernel import kernelapp

    logging.getLogger(kernelapp.IPKernelApp.__name__).addFilter(DropPlainTcpWarning())
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
