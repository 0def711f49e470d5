"""The demo data of `manage.py seed_demo`: demo users, a points-of-sale list, workflows, KPIs and six months of history.

Every row has a fixed identity (a uuid5 for UUID keys; a username, name, key, SKU or reference for the others)
and every random draw comes from a `random.Random` seeded per client, so a second run finds each row already
there and inserts nothing. Which rows exist never depends on the day the command runs: dates are placed
relative to today, but whether a row exists is decided on its offset in days. Only the monthly targets follow
the calendar, so a run in a new month adds that month's two targets.

Clients and their history are written with `bulk_create` rather than through the client services: the
services validate one client at a time, too slow for the 10,000-client benchmark. The one rule that matters
here, the list's schema, is applied all the same: every client's attributes go through `validate_attributes`
and its search text through `search_text`, exactly as `client_create` does.

The modules: `data` (the fixed content), `identity` (fixed ids, seeded draws, create-once), `users` (users and
roles), `reference` (the list and its schema, products, workflows, KPI definitions), `clients`, `history` (visits,
shelf checks, orders, notes), `ledger`, `kpis` (targets) and `rows` (what the builders hand each other). Like the
command, they import the apps: the demo is every app's data.
"""
