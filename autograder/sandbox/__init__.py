"""The sandbox: where student code runs, and how the grader talks to it.

* ``limits``   the resource limits of student code;
* ``host``     the grader's side: the zygote process (``Sandbox``), one
               runner per notebook (``Session``), timeouts and killing;
* ``runner``   the far side, a standalone script: zygote, supervisor and
               runner processes, namespaces, limits, privileges dropped;
* ``wire``     the messages between the two (JSON frames, arrays as .npy);
* ``lending``  the student's functions and objects as stand-ins here
               (``Remote``), and the grader's objects lent to student code;
* ``figures``  Matplotlib figures rebuilt from plain data.
"""
from .host import LossReason, Sandbox, SandboxError, Session, SessionEnd, SessionLost
from .lending import CheckTimeLimit, Remote, RemoteObject, StudentError, type_name
from .limits import Limits

__all__ = ["CheckTimeLimit", "Limits", "LossReason", "Remote", "RemoteObject", "Sandbox", "SandboxError",
           "Session", "SessionEnd", "SessionLost", "StudentError", "type_name"]
