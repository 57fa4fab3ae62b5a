"""The real-server tier: Immich Bridge against a real Immich v2.7.5 (marker `real`)."""
