"""The organisation's learning offer: events, QR check-in, registers, learning sets, feedback."""
