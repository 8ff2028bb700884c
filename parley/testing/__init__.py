"""Helpers the test suites share: API clients, WebSocket clients, live servers."""
