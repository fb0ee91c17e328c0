"""The sandbox: where student code runs, and how the grader talks to it.

* ``limits``   the resource limits of student code;
* ``host``     the grader's side: the zygote process (``Sandbox``), one
               runner per notebook (``Session``), timeouts and killing, and
               what confinement a machine gives (``probe_confinement``);
* ``rootfs``   the student's file system: what it may import, and the
               minimal root its process sees when confined;
* ``runner``   the far side, a standalone script: zygote, supervisor and
               runner processes, namespaces, the minimal root, limits,
               privileges dropped, and the service answering requests;
* ``wire``     the messages between the two (JSON frames, arrays as .npy);
* ``mirror``   arrays shared by token, the same code on both sides;
* ``lending``  the student's functions and objects as stand-ins here
               (``Remote``), and the grader's objects lent to student code;
* ``figures``  Matplotlib figures rebuilt from plain data.
"""
from .host import (CONFINEMENT, Confinement, LossReason, Sandbox, SandboxError, Session, SessionEnd, SessionLost,
                   confinement_gaps, probe_confinement)
from .lending import CheckTimeLimit, HangLimit, Remote, RemoteObject, StudentError, type_name
from .limits import Limits

__all__ = ["CONFINEMENT", "CheckTimeLimit", "Confinement", "HangLimit", "Limits", "LossReason", "Remote", "RemoteObject",
           "Sandbox", "SandboxError", "Session", "SessionEnd", "SessionLost", "StudentError", "confinement_gaps",
           "probe_confinement", "type_name"]
