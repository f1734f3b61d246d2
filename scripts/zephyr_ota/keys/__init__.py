"""Keys: the families MCUboot uses behind one surface (see ``base``)."""
