"""Tests for Immich Bridge."""
