"""Email: messages built once, the outgoing queue, the transports."""
