"""Writes that span apps, above them all (in the spirit of Zulip's `zerver/actions`).

Each app writes only its own tables through its services; an operation that must change
several apps at once is composed here, in one transaction where it needs one:

- `onboarding`: an account is created in the main room (accounts + rooms);
- `erasure`: a guest leaving, an account deleted (accounts + rooms + messaging);
- `posting`: a message or a slash command, the one route REST and WebSocket share
  (messaging + bots);
- `export`: downloading your data (reads accounts, rooms, messaging).

Their REST views (`api.py`, routed by `urls.py`) and jobs (`tasks.py`) live here too: an
app's own interface modules cannot call up into this package without an import cycle.
docs/architecture.md has the order of the apps and what goes where.
"""
