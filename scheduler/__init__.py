"""Periodic jobs on PTB's JobQueue (reminders, stale-record scans, digests, backups)."""

from __future__ import annotations

from scheduler.reminders import DISPATCHER, register

__all__ = ["DISPATCHER", "register"]
