"""What other apps may follow in workflows without workflows knowing them (dependencies run clients ← workflows
← kpis): they connect a receiver that calls their own service."""

from django.dispatch import Signal

# Sent inside the write's transaction, with `client_ids`: a visit started or an order recorded for these clients.
client_history_changed = Signal()
