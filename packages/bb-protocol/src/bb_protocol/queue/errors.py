"""Errors of the approval queue.

The tree::

    QueueError (Exception)
    ├── InvalidMessageError (ValueError)      a file or message is malformed, foreign or of an
    │                                         unknown protocol version (never read as approval)
    ├── UnknownProposalError (LookupError)    no pending proposal has this id
    ├── AlreadyDecidedError (FileExistsError) the proposal already has a response (first wins)
    ├── AlreadyArchivedError (FileExistsError) the proposal was already archived by its owner
    ├── DecisionRefusedError (ValueError)     the decision is not allowed for this proposal kind
    └── KeyFileError (OSError)                the approval key file is missing, unreadable or weak
"""

from __future__ import annotations

__all__ = [
    "AlreadyArchivedError",
    "AlreadyDecidedError",
    "DecisionRefusedError",
    "InvalidMessageError",
    "KeyFileError",
    "QueueError",
    "UnknownProposalError",
]


class QueueError(Exception):
    """Root of every error raised by `bb_protocol.queue`."""


class InvalidMessageError(QueueError, ValueError):
    """A queue file or message is malformed, foreign or of an unknown protocol version."""


class UnknownProposalError(QueueError, LookupError):
    """No pending proposal has the given id."""


class AlreadyDecidedError(QueueError, FileExistsError):
    """The proposal already has a response; the first decision stands."""


class AlreadyArchivedError(QueueError, FileExistsError):
    """The proposal was already archived by its owner; nothing is applied twice."""


class DecisionRefusedError(QueueError, ValueError):
    """The decision is not allowed for this proposal (e.g. modify a token allowance)."""


class KeyFileError(QueueError, OSError):
    """The approval key file is missing, unreadable, malformed or too permissive."""
