"""The family channel (家属): the relatives' side, consent, forms, staff side, tips, relayed media."""
