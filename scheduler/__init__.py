"""Periodic jobs on PTB's JobQueue (reminders, stale-record scans, digests, backups)."""
