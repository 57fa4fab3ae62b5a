"""Helpers for the action tests."""
