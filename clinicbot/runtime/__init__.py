"""Small helpers every app may use, importing none of them: running async code from sync code
(aio), the database's async lookups and configuration (async_db, dbconfig), the Redis clients,
the circuit breaker, single-flight loads, bulk row updates, and the webhooks' admission."""
