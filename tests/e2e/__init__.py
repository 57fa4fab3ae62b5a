"""End-to-end test: a real Home Assistant and the demo Immich, driven in Chromium."""
