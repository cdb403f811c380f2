"""The family channel (家属): joining, consent, relayed messages, urgent alerts and tips."""
