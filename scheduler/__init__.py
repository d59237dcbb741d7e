"""Periodic jobs on PTB's JobQueue (reminders, stale-record scans, digests, backups)."""

from __future__ import annotations

from scheduler.reminders import register

__all__ = ["register"]
