"""What the bot sends on its own: enqueued in the change's transaction, claimed, paced, delivered."""
