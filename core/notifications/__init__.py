"""Core notifications: an outbox of SMS and e-mail messages, its channels and its worker.

Business code calls `core.notifications.services.queue_message` inside the transaction of the
change that causes a message; `valvomo worker` sends due messages (see docs/notifications.md).
"""
