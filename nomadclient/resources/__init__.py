"""The resource managers of a client: `users`, `uploads`, `entries`, `datasets`.

Each module holds the operations of one resource, written once as sans-IO generators, and the
thin sync and async managers that run them.
"""
