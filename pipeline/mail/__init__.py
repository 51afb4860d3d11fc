"""Mail: the subscribers store, per-recipient messages, sending with an exactly-once log, bounces."""
