-- Secrets the service makes for itself on first use and every process of a deployment shares (replicas,
-- restarts): today the key that signs pagination cursors. Never shown by any route.
-- depends: 0003.history-listing-key
CREATE TABLE service_keys (
    name       text PRIMARY KEY,
    value      bytea NOT NULL CHECK (length(value) >= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
